// Packs the commands of one batch (responses, pauses, destroys) into the buffer the native side
// reads in one `flush` call. Layout: `crates/zephyr-uring/src/protocol/commands.rs`; constants:
// the generated `uring-protocol.ts`.
import { ZephyrEngineError } from './errors.js';
import {
  CF_CLOSE,
  CF_EXTERNAL,
  CF_LENGTH,
  CF_WANT_DRAIN,
  CF_WS_BINARY,
  CF_WS_DEFLATE,
  CF_WS_DROP,
  CMD_RESPONSE,
  CMD_SEND_FILE,
  CMD_TRAILERS,
  CMD_WRITE,
  CMD_WS_ACCEPT,
  CMD_WS_CLOSE,
  CMD_WS_PING,
  CMD_WS_PUBLISH,
  CMD_WS_SEND,
  CMD_WS_SUBSCRIBE,
  CMD_WS_UNSUBSCRIBE,
  padded,
  RECORD_HEADER_BYTES,
} from './uring-protocol.js';

/** Which request of which connection a command is for. */
export interface CommandAddress {
  readonly index: number;
  readonly gen: number;
  readonly seq: number;
}

/**
 * Payloads at least this large are not copied: they travel beside the command buffer and are
 * sent from their own memory. Below it, two memcpys cost less than pinning the buffer.
 */
export const EXTERNAL_MIN = 16 * 1024;

/**
 * Node's per-encoding Buffer writers (what `buf.write(s, off, enc)` dispatches to). They skip
 * `write`'s argument normalisation, which showed as a tenth of the engine's JS time under
 * pipelined load. Not in Node's typings, so they are looked up and fall back to `write`.
 */
interface EncodingWriters {
  latin1Write(text: string, offset: number, length: number): number;
  utf8Write(text: string, offset: number, length: number): number;
}
const writers = Buffer.prototype as unknown as Partial<EncodingWriters>;
const writeLatin1: (buf: Buffer, text: string, offset: number) => number =
  typeof writers.latin1Write === 'function'
    ? (buf, text, offset) =>
        (buf as unknown as EncodingWriters).latin1Write(text, offset, buf.length - offset)
    : (buf, text, offset) => buf.write(text, offset, 'latin1');
const writeUtf8: (buf: Buffer, text: string, offset: number) => number =
  typeof writers.utf8Write === 'function'
    ? (buf, text, offset) => (buf as unknown as EncodingWriters).utf8Write(text, offset, buf.length - offset)
    : (buf, text, offset) => buf.write(text, offset, 'utf8');

/** External buffers per flush, so that one batch cannot pin unbounded memory in one call. */
const MAX_EXTERNALS = 4096;

function asBuffer(body: Uint8Array | string): Buffer {
  if (typeof body === 'string') return Buffer.from(body);
  // A Buffer goes as it is: a view per send would be one more object for the collector.
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** How a WebSocket upgrade is accepted (`CMD_WS_ACCEPT`). */
export interface WsAcceptCommand {
  maxPayloadBytes: number;
  maxBackpressureBytes: number;
  idleTimeoutMs: number;
  /** Offer permessage-deflate. */
  deflate: boolean;
  /** The `drop` backpressure policy (else `close`). */
  drop: boolean;
  /** The request's `Sec-WebSocket-Key` and `Sec-WebSocket-Extensions` (latin1). */
  key: string;
  extensions: string;
  /** Extra 101 headers as flat `[lower-cased name, value or values, …]`. */
  fields: ReadonlyArray<string | readonly string[]>;
}

/** The connection a `CMD_WS_PUBLISH` names: none (the message goes to a topic). */
const PUBLISH_TO = { index: 0xffff_ffff, gen: 0, seq: 0 } as const;

/** Receives a full batch: `len` bytes of the command buffer and the large payloads beside them. */
export type CommandSink = (len: number, externals: Buffer[] | undefined) => void;

/** The command buffer of one engine and the writers of each record kind. */
export class CommandWriter {
  readonly buffer: Buffer;
  private readonly w32: Uint32Array;
  private len = 0;
  private externals: Buffer[] = [];

  constructor(
    bytes: number,
    private readonly sink: CommandSink,
  ) {
    this.buffer = Buffer.allocUnsafeSlow(bytes);
    this.w32 = new Uint32Array(this.buffer.buffer, this.buffer.byteOffset, bytes >>> 2);
  }

  /**
   * Queues RESPONSE: the status, the fields (flat `[lower-cased name, value or values, …]`),
   * `length` (the whole body's, or -1 when unknown) and the first body bytes. A large body goes
   * beside the buffer, uncopied.
   */
  respond(
    to: CommandAddress,
    flags: number,
    status: number,
    fields: ReadonlyArray<string | readonly string[]>,
    length: number,
    body: Uint8Array | string | undefined,
    bodyBytes: number,
  ): void {
    let count = 0;
    let fieldBytes = 0;
    for (let i = 0; i < fields.length; i += 2) {
      const name = (fields[i] as string).length;
      const value = fields[i + 1] as string | readonly string[];
      if (typeof value === 'string') {
        count++;
        fieldBytes += padded(name) + padded(value.length);
      } else {
        for (const v of value) {
          count++;
          fieldBytes += padded(name) + padded(v.length);
        }
      }
    }
    const external = body !== undefined && bodyBytes >= EXTERNAL_MIN;
    const inline = body === undefined || external ? 0 : bodyBytes;
    const need = RECORD_HEADER_BYTES + 20 + 8 * count + fieldBytes + padded(inline);
    this.room(need, external);
    const i = this.len >>> 2;
    const w = this.w32;
    const known = length >= 0;
    w[i] = CMD_RESPONSE | ((flags | (known ? CF_LENGTH : 0) | (external ? CF_EXTERNAL : 0)) << 8);
    w[i + 1] = to.index;
    w[i + 2] = to.gen;
    w[i + 3] = to.seq;
    w[i + 4] = status;
    w[i + 5] = count;
    w[i + 6] = known ? length % 2 ** 32 : 0;
    w[i + 7] = known ? Math.floor(length / 2 ** 32) : 0;
    w[i + 8] = external ? this.externals.length : inline;
    let off = this.len + RECORD_HEADER_BYTES + 20 + 8 * count;
    this.fields(i + 9, off, fields);
    off += fieldBytes;
    if (external) this.externals.push(asBuffer(body as Uint8Array | string));
    else if (body !== undefined) this.payload(body, off, inline);
    this.len += need;
  }

  /** Queues WRITE: more body bytes of a started response (the engine frames them). */
  write(to: CommandAddress, flags: number, body: Uint8Array | string | undefined, bodyBytes: number): void {
    const external = body !== undefined && bodyBytes >= EXTERNAL_MIN;
    const inline = body === undefined || external ? 0 : bodyBytes;
    const need = RECORD_HEADER_BYTES + 4 + padded(inline);
    this.room(need, external);
    const i = this.len >>> 2;
    const w = this.w32;
    w[i] = CMD_WRITE | ((flags | (external ? CF_EXTERNAL : 0)) << 8);
    w[i + 1] = to.index;
    w[i + 2] = to.gen;
    w[i + 3] = to.seq;
    w[i + 4] = external ? this.externals.length : inline;
    // No copy of a large body: the native side holds a reference to the buffer until the kernel
    // has sent it (so, as with node:http, changing the buffer after write() changes what is sent).
    if (external) this.externals.push(asBuffer(body as Uint8Array | string));
    else if (body !== undefined) this.payload(body, this.len + RECORD_HEADER_BYTES + 4, inline);
    this.len += need;
  }

  /**
   * Queues TRAILERS: trailer fields (flat `[lower-cased name, value, …]`) that end a started
   * response; `flags` may add CF_CLOSE.
   */
  trailers(to: CommandAddress, flags: number, fields: ReadonlyArray<string | readonly string[]>): void {
    const [count, fieldBytes] = measureFields(fields);
    const need = RECORD_HEADER_BYTES + 4 + 8 * count + fieldBytes;
    this.room(need, false);
    const i = this.len >>> 2;
    const w = this.w32;
    w[i] = CMD_TRAILERS | (flags << 8);
    w[i + 1] = to.index;
    w[i + 2] = to.gen;
    w[i + 3] = to.seq;
    w[i + 4] = count;
    this.fields(i + 5, this.len + RECORD_HEADER_BYTES + 4 + 8 * count, fields);
    this.len += need;
  }

  /** Queues a command that carries no payload. */
  command(to: CommandAddress, kind: number, flags: number): void {
    this.room(RECORD_HEADER_BYTES, false);
    const i = this.len >>> 2;
    const w = this.w32;
    w[i] = kind | (flags << 8);
    w[i + 1] = to.index;
    w[i + 2] = to.gen;
    w[i + 3] = to.seq;
    this.len += RECORD_HEADER_BYTES;
  }

  /** Queues SEND_FILE: a response whose whole body is `length` bytes of `fd` from `offset`. */
  sendFile(
    to: CommandAddress,
    flags: number,
    status: number,
    fields: ReadonlyArray<string | readonly string[]>,
    fd: number,
    offset: number,
    length: number,
  ): void {
    let count = 0;
    let fieldBytes = 0;
    for (let i = 0; i < fields.length; i += 2) {
      const name = (fields[i] as string).length;
      const value = fields[i + 1] as string | readonly string[];
      for (const v of typeof value === 'string' ? [value] : value) {
        count++;
        fieldBytes += padded(name) + padded(v.length);
      }
    }
    const need = RECORD_HEADER_BYTES + 28 + 8 * count + fieldBytes;
    this.room(need, false);
    const i = this.len >>> 2;
    const w = this.w32;
    w[i] = CMD_SEND_FILE | (flags << 8);
    w[i + 1] = to.index;
    w[i + 2] = to.gen;
    w[i + 3] = to.seq;
    w[i + 4] = status;
    w[i + 5] = count;
    w[i + 6] = fd;
    w[i + 7] = offset % 2 ** 32;
    w[i + 8] = Math.floor(offset / 2 ** 32);
    w[i + 9] = length % 2 ** 32;
    w[i + 10] = Math.floor(length / 2 ** 32);
    this.fields(i + 11, this.len + RECORD_HEADER_BYTES + 28 + 8 * count, fields);
    this.len += need;
  }

  /** Queues WS_ACCEPT for upgrade request `to`. */
  wsAccept(to: CommandAddress, a: WsAcceptCommand): void {
    const [count, fieldBytes] = measureFields(a.fields);
    const need =
      RECORD_HEADER_BYTES + 24 + 8 * count + fieldBytes + padded(a.key.length) + padded(a.extensions.length);
    this.room(need, false);
    const i = this.len >>> 2;
    const w = this.w32;
    w[i] = CMD_WS_ACCEPT | (((a.deflate ? CF_WS_DEFLATE : 0) | (a.drop ? CF_WS_DROP : 0)) << 8);
    w[i + 1] = to.index;
    w[i + 2] = to.gen;
    w[i + 3] = to.seq;
    w[i + 4] = a.maxPayloadBytes;
    w[i + 5] = a.maxBackpressureBytes;
    w[i + 6] = a.idleTimeoutMs;
    w[i + 7] = count;
    w[i + 8] = a.key.length;
    w[i + 9] = a.extensions.length;
    let off = this.len + RECORD_HEADER_BYTES + 24 + 8 * count;
    this.fields(i + 10, off, a.fields);
    off += fieldBytes;
    off = this.run(a.key, off);
    this.run(a.extensions, off);
    this.len += need;
  }

  /** Queues WS_SEND: a message of `bytes` bytes (a large one travels beside the buffer). */
  wsSend(
    to: CommandAddress,
    data: Uint8Array | string,
    bytes: number,
    binary: boolean,
    wantDrain: boolean,
  ): void {
    const external = bytes >= EXTERNAL_MIN;
    const inline = external ? 0 : bytes;
    const need = RECORD_HEADER_BYTES + 4 + padded(inline);
    this.room(need, external);
    const i = this.len >>> 2;
    const w = this.w32;
    const flags =
      (binary ? CF_WS_BINARY : 0) | (wantDrain ? CF_WANT_DRAIN : 0) | (external ? CF_EXTERNAL : 0);
    w[i] = CMD_WS_SEND | (flags << 8);
    w[i + 1] = to.index;
    w[i + 2] = to.gen;
    w[i + 3] = 0;
    w[i + 4] = external ? this.externals.length : inline;
    if (external) this.externals.push(asBuffer(data));
    else this.payload(data, this.len + RECORD_HEADER_BYTES + 4, inline);
    this.len += need;
  }

  /**
   * Queues WS_CLOSE with `code` and a UTF-8 `reason` of `reasonBytes` bytes; `drop`: no
   * handshake, the engine drops the connection once its queued output started going out.
   */
  wsClose(to: CommandAddress, code: number, reason: string, reasonBytes: number, drop = false): void {
    const need = RECORD_HEADER_BYTES + 8 + padded(reasonBytes);
    this.room(need, false);
    const i = this.len >>> 2;
    const w = this.w32;
    w[i] = CMD_WS_CLOSE | ((drop ? CF_CLOSE : 0) << 8);
    w[i + 1] = to.index;
    w[i + 2] = to.gen;
    w[i + 3] = 0;
    w[i + 4] = code;
    w[i + 5] = reasonBytes;
    this.payload(reason, this.len + RECORD_HEADER_BYTES + 8, reasonBytes);
    this.len += need;
  }

  /** Queues WS_PING with a payload of at most 125 bytes. */
  wsPing(to: CommandAddress, payload: Uint8Array): void {
    this.lengthPrefixed(CMD_WS_PING, to, payload, payload.byteLength);
  }

  /** Queues WS_SUBSCRIBE or WS_UNSUBSCRIBE for `topic` (UTF-8, `topicBytes` long). */
  wsSubscribe(to: CommandAddress, topic: string, topicBytes: number, on: boolean): void {
    this.lengthPrefixed(on ? CMD_WS_SUBSCRIBE : CMD_WS_UNSUBSCRIBE, to, topic, topicBytes);
  }

  /** Queues WS_PUBLISH of a message of `bytes` bytes to `topic`. */
  wsPublish(
    topic: string,
    topicBytes: number,
    data: Uint8Array | string,
    bytes: number,
    binary: boolean,
  ): void {
    const external = bytes >= EXTERNAL_MIN;
    const inline = external ? 0 : bytes;
    const need = RECORD_HEADER_BYTES + 8 + padded(topicBytes) + padded(inline);
    this.room(need, external);
    const i = this.len >>> 2;
    const w = this.w32;
    w[i] = CMD_WS_PUBLISH | (((binary ? CF_WS_BINARY : 0) | (external ? CF_EXTERNAL : 0)) << 8);
    w[i + 1] = PUBLISH_TO.index;
    w[i + 2] = PUBLISH_TO.gen;
    w[i + 3] = PUBLISH_TO.seq;
    w[i + 4] = topicBytes;
    w[i + 5] = external ? this.externals.length : inline;
    const off = this.len + RECORD_HEADER_BYTES + 8;
    this.payload(topic, off, topicBytes);
    if (external) this.externals.push(asBuffer(data));
    else this.payload(data, off + padded(topicBytes), inline);
    this.len += need;
  }

  private lengthPrefixed(kind: number, to: CommandAddress, data: Uint8Array | string, bytes: number): void {
    const need = RECORD_HEADER_BYTES + 4 + padded(bytes);
    this.room(need, false);
    const i = this.len >>> 2;
    const w = this.w32;
    w[i] = kind;
    w[i + 1] = to.index;
    w[i + 2] = to.gen;
    w[i + 3] = 0;
    w[i + 4] = bytes;
    this.payload(data, this.len + RECORD_HEADER_BYTES + 4, bytes);
    this.len += need;
  }

  /** Makes room for a record of `need` bytes (flushing what is queued if it does not fit). */
  private room(need: number, external: boolean): void {
    if (need > this.buffer.length) {
      throw new ZephyrEngineError(
        'ZEPHYR_ERR_INVALID_ARGUMENT',
        `a response head of ${need} bytes does not fit the engine's ${this.buffer.length}-byte command buffer`,
      );
    }
    // A flush renumbers the externals, so room is made before an external index is taken.
    if (this.len + need > this.buffer.length || (external && this.externals.length >= MAX_EXTERNALS)) {
      this.flush();
    }
  }

  /** Writes the field table at word `table` and the names and values from byte `off`. */
  private fields(table: number, off: number, fields: ReadonlyArray<string | readonly string[]>): void {
    const w = this.w32;
    let t = table;
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i] as string;
      const value = fields[i + 1] as string | readonly string[];
      if (typeof value === 'string') {
        w[t++] = name.length;
        w[t++] = value.length;
        off = this.run(name, off);
        off = this.run(value, off);
      } else {
        for (const v of value) {
          w[t++] = name.length;
          w[t++] = v.length;
          off = this.run(name, off);
          off = this.run(v, off);
        }
      }
    }
  }

  /** Writes a latin1 run at `off`; returns the offset after its padding. */
  private run(text: string, off: number): number {
    const n = text.length;
    // Padding is zeroed, so that equal commands are equal bytes (the golden test compares them).
    if (n & 3) this.w32[(off + n) >>> 2] = 0;
    writeLatin1(this.buffer, text, off);
    return off + padded(n);
  }

  private payload(body: Uint8Array | string, off: number, bytes: number): void {
    if (bytes === 0) return;
    if (bytes & 3) this.w32[(off + bytes) >>> 2] = 0;
    if (typeof body === 'string') writeUtf8(this.buffer, body, off);
    else this.buffer.set(body, off);
  }

  /** Hands what is queued to the sink. */
  flush(): void {
    if (this.len === 0 && this.externals.length === 0) return;
    const len = this.len;
    const externals = this.externals;
    this.len = 0;
    this.externals = [];
    this.sink(len, externals.length > 0 ? externals : undefined);
  }
}

/** Fields as flat `[name, value or values, …]`: how many, and their padded bytes. */
function measureFields(fields: ReadonlyArray<string | readonly string[]>): [number, number] {
  let count = 0;
  let bytes = 0;
  for (let i = 0; i < fields.length; i += 2) {
    const name = (fields[i] as string).length;
    const value = fields[i + 1] as string | readonly string[];
    for (const v of typeof value === 'string' ? [value] : value) {
      count++;
      bytes += padded(name) + padded(v.length);
    }
  }
  return [count, bytes];
}
