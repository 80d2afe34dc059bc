// Packs the commands of one batch (responses, pauses, destroys) into the buffer the native side
// reads in one `flush` call. Layout: `crates/zephyr-uring/src/protocol/commands.rs`; constants:
// the generated `uring-protocol.ts`.
import {
  CF_CLOSE,
  CF_END,
  CF_EXTERNAL,
  CMD_SEND_FILE,
  CMD_WRITE,
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

  /** Queues a WRITE of `head` (latin1) then `body`; a large body goes beside, uncopied. */
  write(
    to: CommandAddress,
    flags: number,
    head: string,
    body: Uint8Array | string | undefined,
    bodyBytes: number,
  ): void {
    if (body !== undefined && bodyBytes >= EXTERNAL_MIN) {
      if (head.length > 0) this.writeInline(to, flags & ~(CF_END | CF_CLOSE), head, undefined, 0);
      const bytes =
        typeof body === 'string'
          ? Buffer.from(body)
          : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      // Room first: a flush inside header() would renumber the externals.
      if (this.len + RECORD_HEADER_BYTES + 4 > this.buffer.length) this.flush();
      this.header(CMD_WRITE | ((flags | CF_EXTERNAL) << 8), to, this.externals.length);
      this.externals.push(bytes);
      // No copy: the native side holds a reference to the buffer until the kernel has sent it
      // (so, as with node:http, changing the buffer after write() changes what is sent).
      return;
    }
    this.writeInline(to, flags, head, body, bodyBytes);
  }

  private writeInline(
    to: CommandAddress,
    flags: number,
    head: string,
    body: Uint8Array | string | undefined,
    bodyBytes: number,
  ): void {
    const total = head.length + bodyBytes;
    if (this.len + RECORD_HEADER_BYTES + 4 + padded(total) > this.buffer.length) this.flush();
    let off = this.header(CMD_WRITE | (flags << 8), to, total);
    if (head.length > 0) off += writeLatin1(this.buffer, head, off);
    if (body !== undefined) {
      if (typeof body === 'string') writeUtf8(this.buffer, body, off);
      else this.buffer.set(body, off);
    }
    this.len += padded(total);
  }

  /** Writes a record header plus one word; returns the byte offset after them. */
  private header(first: number, to: CommandAddress, fifth: number): number {
    if (this.len + RECORD_HEADER_BYTES + 4 > this.buffer.length) this.flush();
    const i = this.len >>> 2;
    const w = this.w32;
    w[i] = first;
    w[i + 1] = to.index;
    w[i + 2] = to.gen;
    w[i + 3] = to.seq;
    w[i + 4] = fifth;
    this.len += RECORD_HEADER_BYTES + 4;
    return this.len;
  }

  /** Queues a command that carries no payload. */
  command(to: CommandAddress, kind: number, flags: number): void {
    if (this.len + RECORD_HEADER_BYTES > this.buffer.length) this.flush();
    const i = this.len >>> 2;
    const w = this.w32;
    w[i] = kind | (flags << 8);
    w[i + 1] = to.index;
    w[i + 2] = to.gen;
    w[i + 3] = to.seq;
    this.len += RECORD_HEADER_BYTES;
  }

  /** Queues SEND_FILE: `head` then `length` bytes of `fd` from `offset`. */
  sendFile(
    to: CommandAddress,
    flags: number,
    head: string,
    fd: number,
    offset: number,
    length: number,
  ): void {
    const need = RECORD_HEADER_BYTES + 24 + padded(head.length);
    if (this.len + need > this.buffer.length) this.flush();
    const i = this.len >>> 2;
    const w = this.w32;
    w[i] = CMD_SEND_FILE | (flags << 8);
    w[i + 1] = to.index;
    w[i + 2] = to.gen;
    w[i + 3] = to.seq;
    w[i + 4] = head.length;
    w[i + 5] = fd;
    w[i + 6] = offset % 2 ** 32;
    w[i + 7] = Math.floor(offset / 2 ** 32);
    w[i + 8] = length % 2 ** 32;
    w[i + 9] = Math.floor(length / 2 ** 32);
    writeLatin1(this.buffer, head, this.len + RECORD_HEADER_BYTES + 24);
    this.len += need;
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
