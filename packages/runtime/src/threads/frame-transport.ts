import type { MessagePort, Worker } from 'node:worker_threads';

/** Moves encoded frames between two threads. Swappable so transports can be measured side by side. */
export interface FrameTransport {
  send(frame: Uint8Array): void;
  onFrame(handler: (frame: Uint8Array) => void): void;
  close(): void;
}

/**
 * Frames over a `MessagePort` (or a `Worker`, which has the same API). The frame's buffer is
 * transferred, not cloned, so the only copy is msgpack's own output buffer.
 */
export class PortTransport implements FrameTransport {
  constructor(private readonly port: MessagePort | Worker) {}

  send(frame: Uint8Array): void {
    this.port.postMessage(frame, [frame.buffer as ArrayBuffer]);
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    this.port.on('message', handler);
  }

  close(): void {
    this.port.removeAllListeners('message');
  }
}
