import { fstat, read } from 'node:fs';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { EngineRequest, EngineResponse } from '@zephyr/uring';
import { InvalidArgumentError } from '../errors.js';

/** A request for {@link App.inject}. */
export interface InjectOptions {
  /** Default `GET`. */
  method?: string;
  /** Path and query, e.g. `/users/1?full=1`. */
  url: string;
  headers?: Record<string, string | readonly string[]>;
  /**
   * A string or bytes are sent as is; an async iterable is streamed (no content-length, like a
   * chunked upload); any other value is sent as JSON with `content-type: application/json`.
   */
  body?: string | Uint8Array | AsyncIterable<Uint8Array> | Record<string, unknown> | unknown[];
  /** Default `127.0.0.1`. */
  remoteAddress?: string;
}

/** The response to an injected request. */
export interface InjectResult {
  status: number;
  /** Header names lower-case; repeated fields (e.g. `set-cookie`) as arrays. */
  headers: Record<string, string | string[]>;
  body: Buffer;
  /** Trailer fields the app set with the engine response's `setTrailer`, names lower-case. */
  trailers: Record<string, string>;
  /** The body as UTF-8 text. */
  text(): string;
  /** The body parsed as JSON. */
  json<T = unknown>(): T;
}

/** An {@link EngineRequest} built from {@link InjectOptions}, so `inject` runs the engine's pipeline. */
export class InjectRequest implements EngineRequest {
  readonly method: string;
  readonly url: string;
  readonly path: string;
  readonly query: string;
  readonly httpVersion = '1.1' as const;
  readonly remoteAddress: string;
  readonly #headers: Array<[string, string]> = [];
  readonly #body: Uint8Array | AsyncIterable<Uint8Array> | undefined;
  readonly #abort: Array<() => void> = [];

  constructor(options: InjectOptions) {
    if (typeof options?.url !== 'string' || !options.url.startsWith('/')) {
      throw new InvalidArgumentError(
        `inject: url must be a path starting with '/', got ${JSON.stringify(options?.url)}`,
      );
    }
    this.method = (options.method ?? 'GET').toUpperCase();
    this.url = options.url;
    const q = this.url.indexOf('?');
    this.path = q === -1 ? this.url : this.url.slice(0, q);
    this.query = q === -1 ? '' : this.url.slice(q + 1);
    this.remoteAddress = options.remoteAddress ?? '127.0.0.1';
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      for (const v of typeof value === 'string' ? [value] : value)
        this.#headers.push([name.toLowerCase(), v]);
    }
    const body = options.body;
    if (body === undefined) this.#body = undefined;
    else if (typeof body === 'string') this.#body = Buffer.from(body);
    else if (body instanceof Uint8Array) this.#body = body;
    else if (Symbol.asyncIterator in body) this.#body = body as AsyncIterable<Uint8Array>;
    else {
      this.#body = Buffer.from(JSON.stringify(body));
      if (this.header('content-type') === undefined) this.#headers.push(['content-type', 'application/json']);
    }
    if (this.#body instanceof Uint8Array && this.header('content-length') === undefined) {
      this.#headers.push(['content-length', String(this.#body.byteLength)]);
    }
  }

  header(name: string): string | undefined {
    const key = name.toLowerCase();
    let out: string | undefined;
    for (const [n, v] of this.#headers) if (n === key) out = out === undefined ? v : `${out}, ${v}`;
    return out;
  }

  headers(): Array<[string, string]> {
    return this.#headers.map(([n, v]) => [n, v]);
  }

  async body(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.bodyStream()) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  async *bodyStream(): AsyncIterable<Buffer> {
    const body = this.#body;
    if (body === undefined) return;
    if (body instanceof Uint8Array) {
      yield Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      return;
    }
    for await (const chunk of body) yield Buffer.from(chunk);
  }

  onAbort(listener: () => void): void {
    this.#abort.push(listener);
  }
}

/** An {@link EngineResponse} that collects the response in memory. */
export class InjectResponse implements EngineResponse {
  headersSent = false;
  finished = false;
  readonly result: Promise<InjectResult>;
  #status = 200;
  readonly #headers: Record<string, string | string[]> = {};
  readonly #chunks: Buffer[] = [];
  readonly #trailers: Record<string, string> = {};
  readonly #req: InjectRequest;
  #resolve!: (result: InjectResult) => void;
  #reject!: (err: Error) => void;

  constructor(req: InjectRequest) {
    this.#req = req;
    this.result = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  status(code: number): this {
    this.#status = code;
    return this;
  }

  setHeader(name: string, value: string | readonly string[]): this {
    this.#headers[name.toLowerCase()] = typeof value === 'string' ? value : [...value];
    return this;
  }

  write(chunk: string | Uint8Array): boolean {
    this.headersSent = true;
    this.#chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
    return true;
  }

  onDrain(_listener: () => void): void {
    // write() never reports backpressure: the chunks go to memory.
  }

  setTrailer(name: string, value: string): this {
    this.#trailers[name.toLowerCase()] = value;
    return this;
  }

  end(chunk?: string | Uint8Array): void {
    if (chunk !== undefined) this.write(chunk);
    this.#finish();
  }

  async sendFile(file: string | number, range?: { offset?: number; length?: number }): Promise<void> {
    const body = await readFileRange(file, range);
    this.#headers['content-length'] = String(body.length);
    this.end(body);
  }

  destroy(): void {
    this.finished = true;
    this.#reject(new Error('inject: the app destroyed the connection without a response'));
  }

  #finish(): void {
    this.headersSent = true;
    this.finished = true;
    // As the engines do: HEAD gets the length a GET would get and no body; 1xx, 204 and 304
    // get neither.
    const written = Buffer.concat(this.#chunks);
    const headOnly = this.#req.method === 'HEAD';
    const noContent = this.#status < 200 || this.#status === 204 || this.#status === 304;
    const body = headOnly || noContent ? Buffer.alloc(0) : written;
    if (this.#headers['content-length'] === undefined && !noContent && (!headOnly || written.length > 0)) {
      this.#headers['content-length'] = String(written.length);
    }
    this.#resolve({
      status: this.#status,
      headers: this.#headers,
      body,
      trailers: this.#trailers,
      text: () => body.toString('utf8'),
      json: <T>() => JSON.parse(body.toString('utf8')) as T,
    });
  }
}

const readAsync = promisify(read);
const fstatAsync = promisify(fstat);

/** Reads `range` of a file (by path or open descriptor), as `sendFile` would send it. */
export async function readFileRange(
  file: string | number,
  range?: { offset?: number; length?: number },
): Promise<Buffer> {
  const handle = typeof file === 'number' ? null : await open(file, 'r');
  try {
    const fd = handle === null ? (file as number) : handle.fd;
    const offset = range?.offset ?? 0;
    const length = range?.length ?? (await fstatAsync(fd)).size - offset;
    const buffer = Buffer.alloc(Math.max(0, length));
    let done = 0;
    while (done < length) {
      const { bytesRead } = await readAsync(fd, buffer, done, length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buffer.subarray(0, done);
  } finally {
    await handle?.close();
  }
}
