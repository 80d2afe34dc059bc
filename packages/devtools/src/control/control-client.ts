import { createConnection, type Socket } from 'node:net';
import { ControlSocketNotFoundError, DevtoolsError } from '../devtools-errors.js';
import { type ControlReply, LineSplitter } from './frames.js';

/** Longest reply line the CLI reads (64 MiB): chunks are far smaller; this bounds a broken app. */
const MAX_REPLY_LINE = 64 * 1024 * 1024;

/** What a request may receive before its result. */
export interface RequestListeners {
  onProgress?(message: string): void;
  onChunk?(data: string): void;
}

interface Pending extends RequestListeners {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** A connection to a running app's control socket. */
export class ControlClient {
  readonly #socket: Socket;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #ended: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    const lines = new LineSplitter(
      MAX_REPLY_LINE,
      (line) => this.#onLine(line),
      () =>
        this.#fail(
          new DevtoolsError('ZEPHYR_ERR_DEVTOOLS_PROTOCOL', 'the app sent a reply line that is too long'),
        ),
    );
    socket.on('data', (data: string) => lines.push(data));
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => this.#fail(new ControlSocketNotFoundError('the app closed the control socket')));
  }

  /** Connects to the socket at `path`. */
  static connect(path: string): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(new ControlClient(socket));
      });
      socket.once('error', (err) =>
        reject(new ControlSocketNotFoundError(`cannot connect to ${path}: ${err.message}`, { cause: err })),
      );
    });
  }

  /** Sends one request and resolves to its result; an error frame rejects with its code and message. */
  request<T = unknown>(
    op: string,
    args: Record<string, unknown> = {},
    listeners: RequestListeners = {},
  ): Promise<T> {
    if (this.#ended) return Promise.reject(this.#ended);
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { ...listeners, resolve: resolve as (v: unknown) => void, reject });
      this.#socket.write(`${JSON.stringify({ id, op, args })}\n`);
    });
  }

  /** Closes the connection (the app goes on running). */
  close(): void {
    this.#socket.end();
  }

  #onLine(line: string): void {
    let reply: ControlReply;
    try {
      reply = JSON.parse(line) as ControlReply;
    } catch {
      return;
    }
    if (reply.id === null) {
      // An error about a frame the app could not read: nothing of ours can be matched to it.
      return;
    }
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    if (reply.type === 'progress') pending.onProgress?.(reply.message);
    else if (reply.type === 'chunk') pending.onChunk?.(reply.data);
    else {
      this.#pending.delete(reply.id);
      if (reply.type === 'result') pending.resolve(reply.value);
      else pending.reject(new DevtoolsError(reply.error.code, reply.error.message));
    }
  }

  #fail(err: Error): void {
    this.#ended ??= err;
    for (const pending of this.#pending.values()) pending.reject(err);
    this.#pending.clear();
  }
}
