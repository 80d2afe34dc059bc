import { close } from 'node:fs';
import type { EngineRequest, EngineResponse } from './engine.js';
import { RequestError, ResponseStateError, ZephyrEngineError } from './errors.js';
import { checkRangeField, openFile, sizeOf } from './send-file-range.js';
import {
  CF_BORROWED_FD,
  CF_CLOSE,
  CF_END,
  CF_WANT_DRAIN,
  CMD_DESTROY,
  CMD_PAUSE,
  CMD_RESUME,
  EF_HTTP2,
  EF_HTTP3,
  EF_HTTP10,
} from './uring-protocol.js';

/** Response fields as flat `[lower-cased name, value or values, …]` pairs. */
export type ResponseFields = Array<string | readonly string[]>;

/** What an exchange needs from the engine that owns it (implemented by `UringHost`). */
export interface ExchangeHost {
  /**
   * Starts the response: status, fields, the body's length (-1: unknown) and its first bytes.
   * The engine writes the HTTP/1 head and framing (and drops the body where none may follow).
   */
  respond(
    ex: UringExchange,
    flags: number,
    status: number,
    fields: ResponseFields,
    length: number,
    body: Uint8Array | string | undefined,
    bodyBytes: number,
  ): void;
  /** More body bytes of a started response. */
  write(ex: UringExchange, flags: number, body: Uint8Array | string | undefined, bodyBytes: number): void;
  /** Trailer fields that end a started response (HTTP/2 trailing HEADERS, HTTP/1.1 chunked trailers). */
  trailers(ex: UringExchange, flags: number, fields: ResponseFields): void;
  /** Decodes the exchange's header fields from the event buffer (while it still holds them). */
  decodeHeaders(ex: UringExchange): void;
  /**
   * One field's value (`wanted` lower-case) read straight from the event buffer, or `null` when
   * the buffer no longer holds the fields (then `decodeHeaders` has run).
   */
  findHeader(ex: UringExchange, wanted: string): string | undefined | null;
  /** Queues a command that carries no payload. */
  command(ex: UringExchange, kind: number, flags: number): void;
  /** Starts the response with `length` bytes of `fd` from `offset` as its whole body. */
  sendFile(
    ex: UringExchange,
    flags: number,
    status: number,
    fields: ResponseFields,
    fd: number,
    offset: number,
    length: number,
  ): void;
  peerAddress(ex: UringExchange): string;
  /** The exchange is over (response sent, or aborted): forget it. */
  release(ex: UringExchange): void;
  /** Bytes of response output after which `write` returns false. */
  readonly highWaterMark: number;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Header names already checked and lower-cased; applications use a handful, so this stays small. */
const knownNames = new Map<string, string>();
const KNOWN_NAMES_MAX = 1024;
// Field values: HTAB, SP, visible ASCII and obs-text; never CR, LF or NUL (response splitting).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Bytes of a chunk as it will be sent. */
function byteLength(chunk: string | Uint8Array): number {
  return typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
}

/**
 * One request and its response. A single object serves as both the `EngineRequest` and the
 * `EngineResponse` (their members do not overlap), halving allocations on the hot path.
 */
export class UringExchange implements EngineRequest, EngineResponse {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: '1.0' | '1.1' | '2.0' | '3';
  private _path: string | undefined;
  private _query: string | undefined;
  private _remote: string | undefined;
  /** Lower-cased names and values, decoded from the event buffer on first use or at batch end. */
  names: string[] | undefined;
  values: string[] | undefined;
  /** Where the header fields sit in the event buffer of batch `batch` (word index of the length
   * table, byte offset of the bytes, field count). */
  batch = -1;
  /** Whether the engine keeps this exchange findable by connection (for later events). */
  tracked = false;
  fieldTable = 0;
  fieldBytes = 0;
  fieldCount = 0;

  // --- request body -------------------------------------------------------------------------
  /** The whole body when it came with the head. */
  inlineBody: Buffer | undefined;
  /** Body chunks received and not yet consumed. */
  private chunks: Buffer[] | undefined;
  private chunkBytes = 0;
  private bodyComplete: boolean;
  private bodyFailure: Error | undefined;
  private bodyWaiter: (() => void) | undefined;
  private bodyTaken = false;
  private readPaused = false;

  // --- response -----------------------------------------------------------------------------
  private statusCode = 200;
  /** Response fields as flat `[lower-cased name, value, …]` pairs: one allocation per response. */
  private fields: ResponseFields = [];
  private _headersSent = false;
  private _finished = false;
  /** The connection closes after this response (set when a failure replaces it). */
  private closeAfter = false;
  private sinceDrain = 0;
  private drainListeners: Array<() => void> | undefined;
  private abortListeners: Array<() => void> | undefined;
  private fileStarted = false;
  /** Trailer fields as flat `[lower-cased name, value, …]`, sent by `end`. */
  private trailerFields: ResponseFields | undefined;
  private fileSettle: { resolve: () => void; reject: (err: Error) => void } | undefined;
  /** Set when the client went away (abort) or the response was destroyed. */
  private dead = false;

  constructor(
    private readonly host: ExchangeHost,
    readonly index: number,
    readonly gen: number,
    readonly seq: number,
    flags: number,
    method: string,
    url: string,
    bodyFollows: boolean,
  ) {
    this.method = method;
    this.url = url;
    this.httpVersion = flags & EF_HTTP2 ? '2.0' : flags & EF_HTTP3 ? '3' : flags & EF_HTTP10 ? '1.0' : '1.1';
    this.bodyComplete = !bodyFollows;
  }

  // ===== EngineRequest ========================================================================

  get path(): string {
    if (this._path === undefined) this.splitUrl();
    return this._path as string;
  }

  get query(): string {
    if (this._query === undefined) this.splitUrl();
    return this._query as string;
  }

  private splitUrl(): void {
    const q = this.url.indexOf('?');
    this._path = q < 0 ? this.url : this.url.slice(0, q);
    this._query = q < 0 ? '' : this.url.slice(q + 1);
  }

  get remoteAddress(): string {
    if (this._remote === undefined) this._remote = this.host.peerAddress(this);
    return this._remote;
  }

  header(name: string): string | undefined {
    const wanted = name.toLowerCase();
    if (!this.names) {
      const value = this.host.findHeader(this, wanted);
      if (value !== null) return value;
    }
    const names = this.names ?? [];
    const values = this.values ?? [];
    let found: string | undefined;
    for (let i = 0; i < names.length; i++) {
      if (names[i] === wanted) found = found === undefined ? values[i] : `${found}, ${values[i]}`;
    }
    return found;
  }

  headers(): Array<[string, string]> {
    if (!this.names) this.host.decodeHeaders(this);
    const names = this.names ?? [];
    const values = this.values ?? [];
    return names.map((n, i) => [n, values[i] ?? '']);
  }

  private startBody(): void {
    if (this.bodyTaken) {
      throw new ZephyrEngineError('ZEPHYR_ERR_BODY_CONSUMED', 'the request body can be read only once');
    }
    this.bodyTaken = true;
  }

  async body(): Promise<Buffer> {
    this.startBody();
    if (this.inlineBody) return this.inlineBody;
    const parts: Buffer[] = [];
    for await (const chunk of this.iterate()) parts.push(chunk);
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }

  bodyStream(): AsyncIterable<Buffer> {
    this.startBody();
    if (this.inlineBody) {
      const whole = this.inlineBody;
      return (async function* () {
        yield whole;
      })();
    }
    return this.iterate();
  }

  private async *iterate(): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.chunks !== undefined && this.chunks.length > 0) {
        const chunk = this.chunks.shift() as Buffer;
        this.chunkBytes -= chunk.length;
        if (this.readPaused && this.chunkBytes < this.host.highWaterMark / 2) {
          this.readPaused = false;
          this.host.command(this, CMD_RESUME, 0);
        }
        yield chunk;
        continue;
      }
      if (this.bodyFailure) throw this.bodyFailure;
      if (this.bodyComplete) return;
      await new Promise<void>((resolve) => {
        this.bodyWaiter = resolve;
      });
    }
  }

  /** A body chunk arrived (`chunk` is a copy the exchange may keep). */
  pushBody(chunk: Buffer, last: boolean): void {
    // A response that ended without reading the body: the rest of it is read off the wire
    // (so the connection stays usable) and dropped.
    if (this._finished && !this.bodyTaken) {
      if (last) {
        this.bodyComplete = true;
        this.host.release(this);
      }
      return;
    }
    if (chunk.length > 0) {
      if (this.chunks) this.chunks.push(chunk);
      else this.chunks = [chunk];
      this.chunkBytes += chunk.length;
      // Backpressure: a reader slower than the client stops the socket being read.
      if (!this.readPaused && this.chunkBytes > this.host.highWaterMark && !this._finished) {
        this.readPaused = true;
        this.host.command(this, CMD_PAUSE, 0);
      }
    }
    if (last) {
      this.bodyComplete = true;
      if (this._finished) this.host.release(this);
    }
    this.wakeBody();
  }

  /** The body failed (413, 408, 400) or the connection went away. */
  failBody(err: Error): void {
    if (this.bodyComplete && (this.chunks?.length ?? 0) === 0) return;
    this.bodyFailure = err;
    this.wakeBody();
  }

  private wakeBody(): void {
    const waiter = this.bodyWaiter;
    this.bodyWaiter = undefined;
    waiter?.();
  }

  onAbort(listener: () => void): void {
    if (this.dead && !this._finished) {
      queueMicrotask(listener);
      return;
    }
    if (this.abortListeners) this.abortListeners.push(listener);
    else this.abortListeners = [listener];
  }

  // ===== EngineResponse =======================================================================

  get headersSent(): boolean {
    return this._headersSent;
  }

  get finished(): boolean {
    return this._finished;
  }

  status(code: number): this {
    if (this._headersSent) throw new ResponseStateError('status() after the response head was sent');
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
    if (this._headersSent) {
      throw new ResponseStateError(`setHeader(${name}) after the response head was sent`);
    }
    let lower = knownNames.get(name);
    if (lower === undefined) {
      if (typeof name !== 'string' || !TOKEN.test(name)) {
        throw new ZephyrEngineError(
          'ZEPHYR_ERR_INVALID_ARGUMENT',
          `invalid header name ${JSON.stringify(name)}`,
        );
      }
      lower = name.toLowerCase();
      if (knownNames.size < KNOWN_NAMES_MAX) knownNames.set(name, lower);
    }
    if (typeof value === 'string') {
      // CR, LF or NUL in a value would let a caller split the response.
      if (!FIELD_VALUE.test(value)) {
        throw new ZephyrEngineError('ZEPHYR_ERR_INVALID_ARGUMENT', `invalid value for header ${name}`);
      }
    } else {
      for (const v of value) {
        if (typeof v !== 'string' || !FIELD_VALUE.test(v)) {
          throw new ZephyrEngineError('ZEPHYR_ERR_INVALID_ARGUMENT', `invalid value for header ${name}`);
        }
      }
    }
    setField(this.fields, lower, value);
    return this;
  }

  private closeFlag(): number {
    return this.closeAfter ? CF_CLOSE : 0;
  }

  write(chunk: string | Uint8Array): boolean {
    if (this._finished || this.dead) return false;
    const bytes = byteLength(chunk);
    this.sinceDrain += bytes;
    const flags = this.sinceDrain > this.host.highWaterMark ? CF_WANT_DRAIN : 0;
    if (!this._headersSent) {
      this._headersSent = true;
      this.host.respond(this, flags, this.statusCode, this.fields, -1, chunk, bytes);
    } else if (bytes > 0) {
      this.host.write(this, flags, chunk, bytes);
    }
    return flags === 0;
  }

  onDrain(listener: () => void): void {
    if (this.drainListeners) this.drainListeners.push(listener);
    else this.drainListeners = [listener];
  }

  /** This response's output, and all queued before it, has been sent: it may write again. */
  drained(): void {
    this.sinceDrain = 0;
    const listeners = this.drainListeners;
    this.drainListeners = undefined;
    for (const l of listeners ?? []) l();
  }

  end(chunk?: string | Uint8Array): void {
    if (this._finished || this.dead) return;
    const bytes = chunk === undefined ? 0 : byteLength(chunk);
    const flags = CF_END | this.closeFlag();
    const started = this._headersSent;
    this._headersSent = true;
    this.finish();
    const trailers = this.trailerFields;
    if (trailers !== undefined) {
      // The body's length stays unknown (chunked on HTTP/1.1), so it has a trailer section.
      if (!started) this.host.respond(this, 0, this.statusCode, this.fields, -1, chunk, bytes);
      else if (bytes > 0) this.host.write(this, 0, chunk, bytes);
      this.host.trailers(this, this.closeFlag(), trailers);
      return;
    }
    if (started) this.host.write(this, flags, chunk, bytes);
    else this.host.respond(this, flags, this.statusCode, this.fields, bytes, chunk, bytes);
  }

  private finish(): void {
    this._finished = true;
    this.host.release(this);
  }

  async sendFile(file: string | number, range?: { offset?: number; length?: number }): Promise<void> {
    if (this._headersSent || this.fileStarted) {
      throw new ResponseStateError('sendFile() after the response head was sent');
    }
    if (typeof file !== 'string' && !(Number.isInteger(file) && file >= 0)) {
      throw new ZephyrEngineError(
        'ZEPHYR_ERR_INVALID_ARGUMENT',
        'sendFile takes a path or a file descriptor',
      );
    }
    const offset = range?.offset ?? 0;
    checkRangeField('offset', range?.offset);
    checkRangeField('length', range?.length);
    this.fileStarted = true;
    const owned = typeof file === 'string';
    const fd = owned ? await openFile(file) : file;
    let length: number;
    try {
      const size = await sizeOf(fd);
      length = range?.length ?? Math.max(0, size - offset);
      if (offset + length > size) {
        throw new ZephyrEngineError(
          'ZEPHYR_ERR_INVALID_ARGUMENT',
          `sendFile: offset ${offset} + length ${length} is past the end of the file (${size} bytes)`,
        );
      }
    } catch (err) {
      if (owned) closeQuietly(fd);
      throw err;
    }
    if (this._finished || this.dead || this._headersSent) {
      if (owned) closeQuietly(fd);
      if (this.dead) throw aborted();
      throw new ResponseStateError('the response was completed while the file was being opened');
    }
    // The file's length is the body's, whatever the handler set; HEAD, 304 and an empty range
    // are the engine's to answer with the head alone (it reports the file sent at once).
    this.setHeader('content-length', String(length));
    this._headersSent = true;
    const done = new Promise<void>((resolve, reject) => {
      this.fileSettle = { resolve, reject };
    });
    const flags = this.closeFlag() | (owned ? 0 : CF_BORROWED_FD);
    this.host.sendFile(this, flags, this.statusCode, this.fields, fd, offset, length);
    return done;
  }

  /** The engine finished sending the file body (`errno` 0) or gave up. */
  fileSent(errno: number): void {
    const settle = this.fileSettle;
    this.fileSettle = undefined;
    this.finish();
    if (!settle) return;
    if (errno === 0) settle.resolve();
    else
      settle.reject(
        new ZephyrEngineError('ZEPHYR_ERR_REQUEST_ABORTED', `sending the file failed (errno ${-errno | 0})`),
      );
  }

  setTrailer(name: string, value: string): this {
    if (this._finished) throw new ResponseStateError('setTrailer() after end()', 'ZEPHYR_ERR_RESPONSE_ENDED');
    if (this.httpVersion === '1.0')
      throw new ResponseStateError('an HTTP/1.0 response cannot carry trailers');
    if (this.method === 'HEAD')
      throw new ResponseStateError('a response to HEAD has no body and no trailers');
    if (this.fileStarted)
      throw new ResponseStateError('a sendFile response has a content-length: no trailers');
    if (this.fields.some((f, i) => i % 2 === 0 && f === 'content-length')) {
      // Only a chunked body has a trailer section (RFC 9112 §7.1.2).
      throw new ResponseStateError(
        'setTrailer() on a response with a content-length: trailers need a chunked body',
      );
    }
    if (
      typeof name !== 'string' ||
      !TOKEN.test(name) ||
      typeof value !== 'string' ||
      !FIELD_VALUE.test(value)
    ) {
      throw new ZephyrEngineError(
        'ZEPHYR_ERR_INVALID_ARGUMENT',
        `setTrailer: invalid field ${JSON.stringify(name)}`,
      );
    }
    const lower = name.toLowerCase();
    if (this.trailerFields === undefined) this.trailerFields = [];
    setField(this.trailerFields, lower, value);
    return this;
  }

  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    this.host.command(this, CMD_DESTROY, 0);
    this._finished = true;
    this.host.release(this);
  }

  /** The client went away before the response ended. */
  abort(): void {
    if (this.dead) return;
    this.dead = true;
    const err = aborted();
    this.failBody(err);
    this.fileSettle?.reject(err);
    this.fileSettle = undefined;
    const wasFinished = this._finished;
    this._finished = true;
    if (!wasFinished) {
      for (const l of this.abortListeners ?? []) {
        try {
          l();
        } catch (listenerErr) {
          queueMicrotask(() => {
            throw listenerErr;
          });
        }
      }
    }
    this.abortListeners = undefined;
  }

  /**
   * The handler threw or rejected: `status` (500, or a RequestError's) if nothing was sent yet,
   * then close; a response already under way can only be cut off.
   */
  fail(status: number): void {
    if (this._finished || this.dead) return;
    if (!this._headersSent) {
      this.fields = [];
      this.statusCode = status;
      this.closeAfter = true;
      this.end();
    } else {
      this.destroy();
    }
  }

  /** The client went away, or the response was destroyed. */
  get gone(): boolean {
    return this.dead;
  }

  /** The engine answered this upgrade request with a 101: the exchange is over. */
  upgraded(): void {
    this._headersSent = true;
    this._finished = true;
    this.host.release(this);
  }

  /** Whether an abort should still be reported to this exchange. */
  get open(): boolean {
    return !this.dead && (!this._finished || !this.bodyComplete || this.fileSettle !== undefined);
  }
}

function aborted(): RequestError {
  return new RequestError(
    400,
    'ZEPHYR_ERR_REQUEST_ABORTED',
    'the client went away before the response ended',
  );
}

function closeQuietly(fd: number): void {
  // Nothing useful can be done about a failed close of a file we only read.
  close(fd, () => {});
}

/** Sets `lower` (a lower-cased name) in a flat name/value list, replacing an earlier value. */
function setField(fields: ResponseFields, lower: string, value: ResponseFields[number]): void {
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === lower) {
      fields[i + 1] = value;
      return;
    }
  }
  fields.push(lower, value);
}
