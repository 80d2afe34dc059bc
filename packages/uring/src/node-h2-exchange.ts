import { close } from 'node:fs';
import {
  constants,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { EngineRequest, EngineResponse } from './engine.js';
import { RequestError, ResponseStateError, ZephyrEngineError } from './errors.js';
import { isFieldName, lowerCaseName } from './field-name.js';
import { checkRangeField, fileRange, openFile } from './send-file-range.js';

/**
 * Fields HTTP/2 forbids in a message (RFC 9113 §8.2.2). An app written for HTTP/1.1 may set one
 * (`connection: close`); it means nothing on a stream, so it is left out rather than failing.
 */
const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

/** Whether the client may still send on `stream` (its END_STREAM has not arrived). */
export function remoteOpen(stream: ServerHttp2Stream): boolean {
  if (stream.destroyed) return false;
  const state = stream.state.state;
  return (
    state === constants.NGHTTP2_STREAM_STATE_OPEN ||
    state === constants.NGHTTP2_STREAM_STATE_HALF_CLOSED_LOCAL
  );
}

function byteLength(chunk: string | Uint8Array): number {
  return typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
}

/**
 * One request and its response on an HTTP/2 stream (node:http2's core API), under the same
 * contract as an HTTP/1.1 exchange: the app sees `httpVersion === '2.0'` and nothing else new.
 * `:authority` stands in for a missing `host`, split `cookie` fields are joined with `; `
 * (RFC 9113 §8.2.3), and connection-specific response fields are dropped.
 */
export class NodeH2Exchange implements EngineRequest, EngineResponse {
  readonly method: string;
  readonly url: string;
  readonly path: string;
  readonly query: string;
  readonly httpVersion = '2.0' as const;
  private statusCode = 200;
  private readonly out: OutgoingHttpHeaders = {};
  private trailers: OutgoingHttpHeaders | undefined;
  private bodyTaken = false;
  private sentFile = false;
  private sendingFile = false;
  private ended = false;
  /** The exchange reset the stream itself (a limit, a timeout): not the peer's cancel. */
  resetByServer = false;
  /** The write-stall deadline is armed (see NodeHttp2Front). */
  outputWatched = false;

  constructor(
    readonly stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    private readonly rawHeaders: readonly string[],
    private readonly maxBodyBytes: number,
    /** Called once the response's output waits on the peer (a write past the buffer, a file). */
    private readonly onOutputWaiting: (exchange: NodeH2Exchange) => void,
  ) {
    this.method = String(headers[':method'] ?? 'GET');
    const url = String(headers[':path'] ?? '/');
    this.url = url;
    const q = url.indexOf('?');
    this.path = q === -1 ? url : url.slice(0, q);
    this.query = q === -1 ? '' : url.slice(q + 1);
  }

  get remoteAddress(): string {
    return this.stream.session?.socket?.remoteAddress ?? '';
  }

  header(name: string): string | undefined {
    const wanted = lowerCaseName(name);
    if (wanted.charCodeAt(0) === 0x3a) return undefined;
    const raw = this.rawHeaders;
    const separator = wanted === 'cookie' ? '; ' : ', ';
    let found: string | undefined;
    let authority: string | undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const field = raw[i]!;
      if (field === wanted) found = found === undefined ? raw[i + 1]! : `${found}${separator}${raw[i + 1]!}`;
      else if (field === ':authority') authority = raw[i + 1]!;
    }
    return found ?? (wanted === 'host' ? authority : undefined);
  }

  headers(): Array<[string, string]> {
    const raw = this.rawHeaders;
    const out: Array<[string, string]> = [];
    let host = false;
    let authority: string | undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const field = raw[i]!;
      if (field.charCodeAt(0) === 0x3a) {
        if (field === ':authority') authority = raw[i + 1]!;
        continue;
      }
      if (field === 'host') host = true;
      out.push([field, raw[i + 1]!]);
    }
    if (!host && authority !== undefined) out.unshift(['host', authority]);
    return out;
  }

  body(): Promise<Buffer> {
    if (this.bodyTaken) {
      return Promise.reject(
        new ZephyrEngineError('ZEPHYR_ERR_BODY_CONSUMED', 'the request body can be read only once'),
      );
    }
    this.bodyTaken = true;
    // Events rather than the async iterator: a whole body is read at once, and the iterator's
    // promise per chunk halves the request rate of small POSTs.
    const stream = this.stream;
    const max = this.maxBodyBytes;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let total = 0;
      const onData = (chunk: Buffer): void => {
        total += chunk.length;
        if (total > max) {
          cleanup();
          // Stop reading; the response (a 413) ends the stream, then RST NO_ERROR stops the client.
          stream.pause();
          reject(
            new RequestError(
              413,
              'ZEPHYR_ERR_BODY_TOO_LARGE',
              `the request body is larger than maxBodyBytes (${max})`,
            ),
          );
          return;
        }
        chunks.push(chunk);
      };
      const onEnd = (): void => {
        cleanup();
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
      };
      const onClose = (): void => {
        cleanup();
        reject(
          new RequestError(400, 'ZEPHYR_ERR_REQUEST_ABORTED', 'the client went away before the body arrived'),
        );
      };
      const cleanup = (): void => {
        stream.off('data', onData);
        stream.off('end', onEnd);
        stream.off('close', onClose);
        stream.off('aborted', onClose);
      };
      stream.on('data', onData);
      stream.once('end', onEnd);
      stream.once('close', onClose);
      stream.once('aborted', onClose);
    });
  }

  bodyStream(): AsyncIterable<Buffer> {
    if (this.bodyTaken) {
      throw new ZephyrEngineError('ZEPHYR_ERR_BODY_CONSUMED', 'the request body can be read only once');
    }
    this.bodyTaken = true;
    return this.readBody();
  }

  private async *readBody(): AsyncGenerator<Buffer> {
    // node:http2 grants the client window only as the stream is read: a slow consumer stalls
    // the client's stream (and no other) by HTTP/2 flow control.
    let total = 0;
    // Leaving the loop early (the 413 below) must not destroy the stream: node would reset it
    // with CANCEL and the client would never see the answer.
    const chunks = this.stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
    try {
      for await (const chunk of chunks) {
        total += chunk.length;
        if (total > this.maxBodyBytes) {
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
    if (this.stream.aborted) {
      throw new RequestError(
        400,
        'ZEPHYR_ERR_REQUEST_ABORTED',
        'the client went away before the body arrived',
      );
    }
  }

  onAbort(listener: () => void): void {
    this.stream.once('close', () => {
      if (!this.ended || this.stream.rstCode !== constants.NGHTTP2_NO_ERROR) listener();
    });
  }

  status(code: number): this {
    if (this.stream.headersSent) throw new ResponseStateError('status() after the response head was sent');
    if (!Number.isInteger(code) || code < 100 || code > 999) {
      throw new ZephyrEngineError(
        'ZEPHYR_ERR_INVALID_ARGUMENT',
        `status must be an integer from 100 to 999, got ${code}`,
      );
    }
    this.statusCode = code;
    return this;
  }

  setHeader(name: string, value: string | readonly string[]): this {
    if (this.stream.headersSent)
      throw new ResponseStateError(`setHeader(${name}) after the response head was sent`);
    const lower = name.toLowerCase();
    if (CONNECTION_SPECIFIC.has(lower)) return this;
    this.out[lower] = typeof value === 'string' ? value : [...value];
    return this;
  }

  get headersSent(): boolean {
    return this.stream.headersSent;
  }

  /** sendFile is handing the file to the peer (node:http2 reads it; no JS buffer shows it). */
  get fileInFlight(): boolean {
    return this.sendingFile;
  }

  get finished(): boolean {
    return this.ended && !this.sendingFile;
  }

  setTrailer(name: string, value: string): this {
    if (this.ended) throw new ResponseStateError('setTrailer() after end()', 'ZEPHYR_ERR_RESPONSE_ENDED');
    if (this.method === 'HEAD')
      throw new ResponseStateError('a response to HEAD has no body and no trailers');
    if (this.stream.headersSent && this.trailers === undefined) {
      // The head went out without asking node:http2 to wait for trailers; it cannot now.
      throw new ResponseStateError('setTrailer() after end() started sending the response');
    }
    if (!isFieldName(name) || typeof value !== 'string') {
      throw new ZephyrEngineError(
        'ZEPHYR_ERR_INVALID_ARGUMENT',
        `setTrailer: invalid field ${JSON.stringify(name)}`,
      );
    }
    this.trailers ??= {};
    this.trailers[name.toLowerCase()] = value;
    return this;
  }

  private readonly sendTrailers = (): void => {
    this.stream.sendTrailers(this.trailers ?? {});
  };

  /** Sends the head; `streamed` keeps the stream open for trailers set while the body goes out. */
  private respond(endStream: boolean, streamed: boolean): void {
    if (this.stream.destroyed || this.stream.closed) return;
    const waitForTrailers = !endStream && (streamed || this.trailers !== undefined);
    if (waitForTrailers) this.stream.once('wantTrailers', this.sendTrailers);
    this.stream.respond({ ...this.out, ':status': this.statusCode }, { endStream, waitForTrailers });
    // A streamed response may still get trailers: mark that it can carry them.
    if (waitForTrailers && this.trailers === undefined) this.trailers = {};
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.ended) throw new ResponseStateError('write() after end()', 'ZEPHYR_ERR_RESPONSE_ENDED');
    if (!this.stream.headersSent) this.respond(false, true);
    if (this.stream.destroyed || this.method === 'HEAD') return true;
    const room = this.stream.write(chunk);
    if (!room) this.onOutputWaiting(this);
    return room;
  }

  onDrain(listener: () => void): void {
    this.stream.once('drain', listener);
  }

  end(chunk?: string | Uint8Array): void {
    if (this.ended) return;
    this.ended = true;
    const stream = this.stream;
    this.stopUnreadBody();
    if (!stream.headersSent) {
      if (chunk !== undefined && this.out['content-length'] === undefined)
        this.out['content-length'] = String(byteLength(chunk));
      const empty = chunk === undefined || byteLength(chunk) === 0 || this.method === 'HEAD';
      this.respond(empty && this.trailers === undefined, false);
      if (empty) {
        if (!stream.writableEnded && !stream.destroyed) stream.end();
        return;
      }
    }
    if (stream.destroyed) return;
    if (chunk === undefined || this.method === 'HEAD') stream.end();
    else stream.end(chunk);
    if (stream.writableLength > 0) this.onOutputWaiting(this);
  }

  async sendFile(file: string | number, range: { offset?: number; length?: number } = {}): Promise<void> {
    if (this.stream.headersSent || this.sentFile) {
      throw new ResponseStateError('sendFile() after the response head was sent');
    }
    checkRangeField('offset', range.offset);
    checkRangeField('length', range.length);
    this.sentFile = true;
    this.sendingFile = true;
    const ownFd = typeof file === 'string';
    const fd = ownFd ? await openFile(file) : file;
    try {
      const { offset, length } = await fileRange(fd, range);
      this.out['content-length'] = String(length);
      if (length === 0 || this.method === 'HEAD') {
        this.ended = true;
        this.respond(this.trailers === undefined, false);
        if (!this.stream.writableEnded && !this.stream.destroyed) this.stream.end();
        return;
      }
      const stream = this.stream;
      if (stream.destroyed || stream.closed) {
        throw new ZephyrEngineError(
          'ZEPHYR_ERR_REQUEST_ABORTED',
          'the client went away before the file was sent',
        );
      }
      const done = new Promise<void>((resolve, reject) => {
        stream.once('close', () => {
          if (stream.rstCode === constants.NGHTTP2_NO_ERROR) resolve();
          else
            reject(
              new ZephyrEngineError(
                'ZEPHYR_ERR_REQUEST_ABORTED',
                `sending the file stopped: the stream was reset (code ${stream.rstCode})`,
              ),
            );
        });
      });
      this.ended = true;
      // nghttp2 reads the file itself as the peer's window opens: DATA frames are sized to the
      // window and no copy of the file sits in memory.
      if (this.trailers !== undefined) stream.once('wantTrailers', this.sendTrailers);
      stream.respondWithFD(
        fd,
        { ...this.out, ':status': this.statusCode },
        { offset, length, waitForTrailers: this.trailers !== undefined },
      );
      this.onOutputWaiting(this);
      await done;
    } finally {
      this.sendingFile = false;
      if (ownFd) close(fd, () => {});
    }
  }

  /**
   * The response ends while the client may still be sending a body nobody reads: RST_STREAM
   * NO_ERROR once the response is out tells it to stop (RFC 9113 §8.1), instead of the stream
   * sitting open with its window shut.
   */
  private stopUnreadBody(): void {
    const stream = this.stream;
    if (!remoteOpen(stream)) return;
    stream.once('finish', () => {
      if (remoteOpen(stream)) this.reset(constants.NGHTTP2_NO_ERROR);
    });
  }

  /** Resets the stream with `code`; the connection and its other streams go on. */
  reset(code: number): void {
    this.resetByServer = true;
    if (!this.stream.destroyed) this.stream.close(code);
  }

  destroy(): void {
    this.reset(constants.NGHTTP2_INTERNAL_ERROR);
  }
}
