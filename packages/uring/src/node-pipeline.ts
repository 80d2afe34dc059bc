import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PIPELINE_MAX_QUEUED, PIPELINE_MAX_REQUESTS, PIPELINE_MAX_UNSENT_BYTES } from './limits.js';

/** One connection's pipelined requests: how many handlers run, and who waits to. */
interface PipelineState {
  running: number;
  waiting: Array<() => void>;
  /** Output moved (a 'drain') since the write watch last looked. */
  progressed: boolean;
  watch: NodeJS.Timeout | undefined;
}

/**
 * Bounds what one node:http connection may hold, as the io_uring engine does natively. node's
 * parser dispatches every request of a received chunk at once (a 40 KB write holds a thousand
 * pipelined GETs), and each response queues its output in memory behind the one before it: a
 * client that pipelines and never reads pins the process. Here at most
 * {@link PIPELINE_MAX_REQUESTS} handlers run per connection, none starts while
 * {@link PIPELINE_MAX_UNSENT_BYTES} are unsent, the rest wait (reading paused), and output that
 * makes no progress for `writeTimeoutMs` drops the connection.
 */
export class NodePipeline {
  private readonly states = new WeakMap<Socket, PipelineState>();

  constructor(private readonly writeTimeoutMs: number) {}

  /** Runs `start` for the request `res` answers now, or once the connection has room. */
  admit(socket: Socket, res: ServerResponse, start: () => void): void {
    let state = this.states.get(socket);
    if (state === undefined) {
      state = { running: 0, waiting: [], progressed: false, watch: undefined };
      this.states.set(socket, state);
      const s = state;
      socket.on('drain', () => {
        s.progressed = true;
        this.pump(socket, s);
      });
      socket.once('close', () => {
        clearInterval(s.watch);
        s.waiting.length = 0;
      });
    }
    const s = state;
    const run = (): void => {
      s.running++;
      this.watchWrites(socket, s);
      res.once('close', () => {
        s.running--;
        this.pump(socket, s);
      });
      start();
    };
    if (s.running < PIPELINE_MAX_REQUESTS && !this.full(socket) && s.waiting.length === 0) {
      run();
      return;
    }
    if (s.waiting.length >= PIPELINE_MAX_QUEUED) {
      // Far more unanswered requests than any client pipelines: not a client to keep serving.
      socket.destroy();
      return;
    }
    s.waiting.push(run);
    // Stop reading more requests until these have run (node resumes once its output drains).
    socket.pause();
    this.watchWrites(socket, s);
  }

  private full(socket: Socket): boolean {
    return socket.writableLength > PIPELINE_MAX_UNSENT_BYTES;
  }

  private pump(socket: Socket, s: PipelineState): void {
    while (s.waiting.length > 0 && s.running < PIPELINE_MAX_REQUESTS && !this.full(socket)) {
      (s.waiting.shift() as () => void)();
    }
    if (s.waiting.length === 0 && socket.isPaused()) socket.resume();
  }

  /** Drops the connection when its output waits a whole `writeTimeoutMs` without progress. */
  private watchWrites(socket: Socket, s: PipelineState): void {
    if (s.watch !== undefined) return;
    s.progressed = false;
    s.watch = setInterval(() => {
      if (socket.writableLength === 0 && s.waiting.length === 0 && s.running === 0) {
        clearInterval(s.watch);
        s.watch = undefined;
      } else if (!s.progressed && socket.writableNeedDrain) {
        // A whole period over the high-water mark without one 'drain': the client does not read.
        socket.destroy();
      }
      s.progressed = false;
    }, this.writeTimeoutMs);
    s.watch.unref();
  }
}
