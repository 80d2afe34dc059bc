import { close, createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { EngineRequest, EngineResponse } from './engine.js';
import { RequestError, ResponseStateError, ZephyrEngineError } from './errors.js';
import { isFieldName, lowerCaseName } from './field-name.js';
import { originForm } from './request-target.js';
import { checkRangeField, fileRange, openFile } from './send-file-range.js';

/**
 * One request and its response on the node engine. A single object is both the
 * `EngineRequest` and the `EngineResponse` (their members do not overlap), as on the io_uring
 * engine, so a request costs one wrapper allocation over node's own objects.
 */
export class NodeExchange implements EngineRequest, EngineResponse {
  readonly method: string;
  readonly url: string;
  readonly path: string;
  readonly query: string;
  readonly httpVersion: '1.0' | '1.1';
  private bodyTaken = false;
  /** sendFile was called (its head goes out only after the file is opened). */
  private sentFile = false;
  /** sendFile is streaming: the response is not finished although node's end may have run. */
  private sendingFile = false;
  /** Trailer fields set so far; node's addTrailers replaces the whole set on each call. */
  private trailers: Record<string, string> | undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly maxBodyBytes: number,
    /** The body is chunked: its size shows only as it arrives (see `capUnreadBody`). */
    private readonly chunkedBody: boolean,
  ) {
    this.method = req.method ?? 'GET';
    const url = originForm(req.url ?? '/');
    this.url = url;
    const q = url.indexOf('?');
    this.path = q === -1 ? url : url.slice(0, q);
    this.query = q === -1 ? '' : url.slice(q + 1);
    // Admission refused every other version before the handler runs.
    this.httpVersion = req.httpVersionMinor === 0 ? '1.0' : '1.1';
  }

  get remoteAddress(): string {
    return this.req.socket.remoteAddress ?? '';
  }

  header(name: string): string | undefined {
    // node's `req.headers` drops repeats of some fields (e.g. content-type); the contract joins
    // every repeat, so read the raw pairs.
    const wanted = lowerCaseName(name);
    const raw = this.req.rawHeaders;
    let found: string | undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const field = raw[i]!;
      if (field.length === wanted.length && field.toLowerCase() === wanted) {
        found = found === undefined ? raw[i + 1]! : `${found}, ${raw[i + 1]!}`;
      }
    }
    return found;
  }

  headers(): Array<[string, string]> {
    const raw = this.req.rawHeaders;
    const out: Array<[string, string]> = [];
    for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
    return out;
  }

  async body(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.bodyStream()) chunks.push(chunk);
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  }

  bodyStream(): AsyncIterable<Buffer> {
    if (this.bodyTaken) {
      throw new ZephyrEngineError('ZEPHYR_ERR_BODY_CONSUMED', 'the request body can be read only once');
    }
    this.bodyTaken = true;
    return this.readBody();
  }

  private async *readBody(): AsyncGenerator<Buffer> {
    // Iterating the IncomingMessage reads only as fast as we consume, so a slow consumer stops
    // reading the socket and TCP pushes back on the client.
    let total = 0;
    try {
      for await (const chunk of this.req as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > this.maxBodyBytes) {
          // The rest of the body is still on the wire: the connection cannot carry another
          // request, so whatever the app answers must close it (as the io_uring engine does).
          this.res.shouldKeepAlive = false;
          throw new RequestError(
            413,
            'ZEPHYR_ERR_BODY_TOO_LARGE',
            `the request body is larger than maxBodyBytes (${this.maxBodyBytes})`,
          );
        }
        yield chunk;
      }
    } catch (err) {
      if (err instanceof RequestError) throw err;
      throw new RequestError(
        400,
        'ZEPHYR_ERR_REQUEST_ABORTED',
        'the client went away before the body arrived',
      );
    }
  }

  onAbort(listener: () => void): void {
    const res = this.res;
    res.once('close', () => {
      if (!res.writableFinished) listener();
    });
  }

  status(code: number): this {
    if (this.res.headersSent) throw new ResponseStateError('status() after the response head was sent');
    if (!Number.isInteger(code) || code < 100 || code > 999) {
      throw new ZephyrEngineError(
        'ZEPHYR_ERR_INVALID_ARGUMENT',
        `status must be an integer from 100 to 999, got ${code}`,
      );
    }
    this.res.statusCode = code;
    return this;
  }

  setHeader(name: string, value: string | readonly string[]): this {
    if (this.res.headersSent)
      throw new ResponseStateError(`setHeader(${name}) after the response head was sent`);
    this.res.setHeader(name, typeof value === 'string' ? value : [...value]);
    return this;
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  get finished(): boolean {
    return this.res.writableEnded && !this.sendingFile;
  }

  write(chunk: string | Uint8Array): boolean {
    // node reports a write after end as an 'error' event on the response, which nobody listens
    // to and so would take the process down; a throw here reaches the handler instead.
    if (this.res.writableEnded)
      throw new ResponseStateError('write() after end()', 'ZEPHYR_ERR_RESPONSE_ENDED');
    return this.res.write(chunk);
  }

  onDrain(listener: () => void): void {
    this.res.once('drain', listener);
  }

  setTrailer(name: string, value: string): this {
    const res = this.res;
    if (res.writableEnded)
      throw new ResponseStateError('setTrailer() after end()', 'ZEPHYR_ERR_RESPONSE_ENDED');
    if (this.httpVersion === '1.0')
      throw new ResponseStateError('an HTTP/1.0 response cannot carry trailers');
    if (this.method === 'HEAD')
      throw new ResponseStateError('a response to HEAD has no body and no trailers');
    if (res.headersSent ? !res.chunkedEncoding : res.hasHeader('content-length')) {
      // Only a chunked body has a trailer section (RFC 9112 §7.1.2); node would drop them silently.
      throw new ResponseStateError(
        'setTrailer() on a response with a content-length: trailers need a chunked body',
      );
    }
    if (!isFieldName(name) || typeof value !== 'string') {
      throw new ZephyrEngineError(
        'ZEPHYR_ERR_INVALID_ARGUMENT',
        `setTrailer: invalid field ${JSON.stringify(name)}`,
      );
    }
    // Chunked even when end() gets the whole body (node would declare its length instead).
    if (!res.headersSent) res.setHeader('transfer-encoding', 'chunked');
    this.trailers ??= {};
    this.trailers[name.toLowerCase()] = value;
    res.addTrailers(this.trailers);
    return this;
  }

  end(chunk?: string | Uint8Array): void {
    if (this.chunkedBody) this.capUnreadBody();
    if (this.httpVersion === '1.0' && !this.res.headersSent) this.declareLength(chunk);
    if (chunk === undefined) this.res.end();
    else if (this.method === 'HEAD' && !this.res.headersSent && !this.res.hasHeader('content-length')) {
      // node sends no content-length for HEAD; the contract (and RFC 9110 §9.3.2) wants the
      // length the GET body would have.
      this.res.setHeader(
        'content-length',
        typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength,
      );
      this.res.end();
    } else this.res.end(chunk);
  }

  /**
   * node frames an HTTP/1.0 response without a content-length by closing the connection, even
   * when the client asked to keep it; a whole body given to `end` has a known length, so declare
   * it and the connection is kept (as on the io_uring engine).
   */
  private declareLength(chunk: string | Uint8Array | undefined): void {
    const res = this.res;
    const status = res.statusCode;
    if (status < 200 || status === 204 || status === 304) return;
    if (res.hasHeader('content-length') || res.hasHeader('transfer-encoding')) return;
    const length =
      chunk === undefined ? 0 : typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    res.setHeader('content-length', length);
  }

  async sendFile(file: string | number, range: { offset?: number; length?: number } = {}): Promise<void> {
    if (this.res.headersSent || this.sentFile) {
      throw new ResponseStateError('sendFile() after the response head was sent');
    }
    checkRangeField('offset', range.offset);
    checkRangeField('length', range.length);
    this.sentFile = true;
    this.sendingFile = true;
    if (this.chunkedBody) this.capUnreadBody();
    const ownFd = typeof file === 'string';
    const fd = ownFd ? await openFile(file) : file;
    try {
      const { offset, length } = await fileRange(fd, range);
      this.res.setHeader('content-length', length);
      if (length === 0 || this.method === 'HEAD') {
        this.res.end();
        return;
      }
      // The stream reads with pread at explicit positions, so a caller's fd keeps its offset;
      // autoClose stays off because the finally below owns closing.
      const stream = createReadStream('', { fd, start: offset, end: offset + length - 1, autoClose: false });
      await pipeline(stream, this.res, { end: false });
      if (stream.bytesRead < length) {
        // The file shrank after its size was read: the declared length cannot be met, and a
        // short body would let the next response on this connection be read as its tail.
        this.res.destroy();
        this.req.socket.destroy();
        throw new ZephyrEngineError(
          'ZEPHYR_ERR_REQUEST_ABORTED',
          `sending the file failed: it shrank after ${stream.bytesRead} of ${length} bytes were read`,
        );
      }
      this.res.end();
    } finally {
      this.sendingFile = false;
      // Nothing useful can be done about a failed close of a file we only read.
      if (ownFd) close(fd, () => {});
    }
  }

  /**
   * A response may end before its chunked request body was read. node would then discard the
   * rest to keep the connection, however long it is; reading it here instead (before the
   * response ends, so node does not start its own discarding) drops the connection once more
   * than maxBodyBytes went unread, as the io_uring engine does. Declared lengths were checked at
   * admission.
   */
  private capUnreadBody(): void {
    const req = this.req;
    if (this.bodyTaken || req.complete) return;
    this.bodyTaken = true;
    const max = this.maxBodyBytes;
    let unread = 0;
    req.on('data', (chunk: Buffer) => {
      unread += chunk.length;
      if (unread > max) req.socket.destroy();
    });
  }

  destroy(): void {
    this.req.socket.destroy();
  }
}
