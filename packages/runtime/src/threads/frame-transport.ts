import { Buffer } from 'node:buffer';
import type { MessagePort, Worker } from 'node:worker_threads';
import { FrameSlab } from './frame-slab.js';

/** Moves encoded frames between two threads. Swappable so transports can be measured side by side. */
export interface FrameTransport {
  /** Sends `frame`, which is only valid during the call (it may be a view of the encoder's buffer). */
  send(frame: Uint8Array): void;
  onFrame(handler: (frame: Uint8Array) => void): void;
  /** Stops delivering frames (they wait, in order) until {@link resume}. */
  pause(): void;
  resume(): void;
  close(): void;
}

/**
 * Frames shorter than this cross as a one-byte (latin1) string rather than in a transferred
 * buffer, and are rebuilt in a {@link FrameSlab}: a small frame allocates no ArrayBuffer of its
 * own on either side. Half Node's Buffer pool (its own cut-off for pooling), a sixteenth of a slab.
 */
export const STRING_FRAME_MAX_BYTES = Buffer.poolSize >>> 1;

/**
 * Frames over a `MessagePort` (or a `Worker`, which has the same API).
 *
 * A small frame (under {@link STRING_FRAME_MAX_BYTES}, which a request/reply frame is) is posted
 * as a latin1 string and rebuilt in a {@link FrameSlab}. Why: an ArrayBuffer per frame (the
 * transferred one, and its copy on the sending side) is what made an actor thread dearer than a
 * bare worker: every young ArrayBuffer has to be swept after each scavenge, by a job that wakes
 * V8's helper threads, and on a core the actor thread shares with the event loop it measured
 * ~0.4 ms of CPU per 5 ms request (`bench/actor-routes`, `zephyr-worker` against
 * `zephyr-worker-transfer`). A larger frame is copied once and its buffer transferred.
 */
export class PortTransport implements FrameTransport {
  private listener: ((frame: Uint8Array | string) => void) | null = null;
  private paused = false;
  private readonly slab = new FrameSlab();

  constructor(private readonly port: MessagePort | Worker) {}

  send(frame: Uint8Array): void {
    if (frame.byteLength < STRING_FRAME_MAX_BYTES) {
      this.port.postMessage(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('latin1'));
      return;
    }
    const copy = frame.slice();
    this.port.postMessage(copy, [copy.buffer as ArrayBuffer]);
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    this.listener = (frame) => handler(typeof frame === 'string' ? this.slab.take(frame) : frame);
    if (!this.paused) this.port.on('message', this.listener);
  }

  /**
   * Without a 'message' listener a port stops reading, even between two messages of one batch
   * Node is delivering; the rest stay queued in the port, outside the JS heap, in order.
   */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    if (this.listener !== null) this.port.off('message', this.listener);
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.listener !== null) this.port.on('message', this.listener);
  }

  close(): void {
    this.listener = null;
    this.port.removeAllListeners('message');
  }
}
