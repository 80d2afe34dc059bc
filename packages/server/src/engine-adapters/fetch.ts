import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { EngineRequest, EngineResponse } from '@zephyr/uring';
import { UnsupportedOptionError } from '../errors.js';
import { PROBLEM_TYPE } from '../problem.js';

type WebBody = ConstructorParameters<typeof Response>[0];

/** An {@link EngineRequest} over a web `Request`, so `app.fetch` runs the engine's pipeline. */
export class FetchRequest implements EngineRequest {
  readonly method: string;
  readonly url: string;
  readonly path: string;
  readonly query: string;
  readonly httpVersion = '1.1' as const;
  readonly remoteAddress = '';
  readonly #request: Request;
  readonly #abort: Array<() => void> = [];

  constructor(request: Request) {
    this.#request = request;
    this.method = request.method.toUpperCase();
    // The path as the URL parser normalised it (dot segments resolved); no host part.
    const url = new URL(request.url);
    this.path = url.pathname;
    this.query = url.search.slice(1);
    this.url = url.search === '' ? url.pathname : `${url.pathname}${url.search}`;
    request.signal?.addEventListener('abort', () => {
      for (const listener of this.#abort) listener();
    });
  }

  header(name: string): string | undefined {
    return this.#request.headers.get(name) ?? undefined;
  }

  headers(): Array<[string, string]> {
    return [...this.#request.headers];
  }

  async body(): Promise<Buffer> {
    return Buffer.from(await this.#request.arrayBuffer());
  }

  async *bodyStream(): AsyncIterable<Buffer> {
    const body = this.#request.body;
    if (body === null) return;
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) yield Buffer.from(chunk);
  }

  onAbort(listener: () => void): void {
    this.#abort.push(listener);
  }
}

/** An {@link EngineResponse} producing a web `Response` (streamed when written in pieces). */
export class FetchResponse implements EngineResponse {
  headersSent = false;
  finished = false;
  readonly response: Promise<Response>;
  #status = 200;
  readonly #headers = new Headers();
  readonly #req: FetchRequest;
  #controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  #drain: (() => void) | null = null;
  #resolve!: (response: Response) => void;

  constructor(req: FetchRequest) {
    this.#req = req;
    this.response = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  status(code: number): this {
    this.#status = code;
    return this;
  }

  setHeader(name: string, value: string | readonly string[]): this {
    this.#headers.delete(name);
    for (const v of typeof value === 'string' ? [value] : value) this.#headers.append(name, v);
    return this;
  }

  write(chunk: string | Uint8Array): boolean {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.#controller === null) {
      this.headersSent = true;
      const stream = new ReadableStream<Uint8Array>(
        {
          start: (controller) => {
            this.#controller = controller;
          },
          pull: () => {
            const drain = this.#drain;
            this.#drain = null;
            drain?.();
          },
        },
        { highWaterMark: 16 },
      );
      this.#resolve(this.#make(stream));
    }
    this.#controller!.enqueue(bytes);
    return (this.#controller!.desiredSize ?? 1) > 0;
  }

  onDrain(listener: () => void): void {
    this.#drain = listener;
  }

  setTrailer(_name: string, _value: string): this {
    // A web Response has no trailers; dropping them would change what the app meant.
    throw new UnsupportedOptionError('setTrailer: a fetch Response cannot carry trailers');
  }

  end(chunk?: string | Uint8Array): void {
    if (this.#controller === null) {
      this.headersSent = true;
      this.finished = true;
      const body = this.#req.method === 'HEAD' || chunk === undefined ? null : chunk;
      this.#resolve(this.#make(body));
      return;
    }
    if (chunk !== undefined) this.#controller.enqueue(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    this.finished = true;
    this.#controller.close();
  }

  async sendFile(file: string | number, range?: { offset?: number; length?: number }): Promise<void> {
    const start = range?.offset ?? 0;
    const options =
      range?.length === undefined ? { start } : { start, end: start + Math.max(0, range.length) - 1 };
    const stream =
      typeof file === 'number'
        ? createReadStream('', { fd: file, ...options, autoClose: false })
        : createReadStream(file, options);
    if (range?.length !== undefined) this.#headers.set('content-length', String(range.length));
    this.headersSent = true;
    this.finished = true;
    this.#resolve(this.#make(Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>));
    // A caller's descriptor must stay open until the body is read (or cancelled): settle only then.
    if (typeof file === 'number') await new Promise<void>((resolve) => stream.once('close', () => resolve()));
  }

  destroy(): void {
    this.finished = true;
    if (this.#controller !== null) this.#controller.error(new Error('the app destroyed the response'));
    else this.#resolve(Response.error());
  }

  /** Answers 500 if the pipeline itself failed before responding (it normally cannot). */
  fail(err: unknown): void {
    if (this.headersSent) {
      this.#controller?.error(err);
      return;
    }
    this.headersSent = true;
    this.#resolve(
      new Response(
        JSON.stringify({
          type: 'about:blank',
          title: 'Internal Server Error',
          status: 500,
          detail: 'The server failed to handle this request.',
          code: 'ZEPHYR_ERR_INTERNAL',
        }),
        {
          status: 500,
          headers: { 'content-type': PROBLEM_TYPE },
        },
      ),
    );
  }

  #make(body: WebBody | Uint8Array | null): Response {
    const status = this.#status;
    const nullBody = status === 204 || status === 304 || status < 200 || this.#req.method === 'HEAD';
    return new Response(nullBody ? null : (body as WebBody), { status, headers: this.#headers });
  }
}
