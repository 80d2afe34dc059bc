// Decodes the batches of events the native side packs into the shared events buffer. Layout:
// `crates/zephyr-uring/src/protocol/events.rs`; constants: the generated `uring-protocol.ts`.
import {
  EF_LAST,
  EF_STREAM,
  EF_WS_BINARY,
  EF_WS_PLACED,
  EV_ABORTED,
  EV_BODY,
  EV_BODY_ERROR,
  EV_DRAINED,
  EV_FILE_SENT,
  EV_REQUEST,
  EV_WS_CLOSE,
  EV_WS_MESSAGE,
  padded,
} from './uring-protocol.js';

/** What a batch of events is handed to, record by record. */
export interface EventVisitor {
  onRequest(
    index: number,
    gen: number,
    seq: number,
    flags: number,
    method: string,
    url: string,
    /** Where the header fields sit in the buffer (for {@link decodeFields}, during this batch):
     * word index of the `(name length, value length)` table, byte offset of the first name. */
    fieldTable: number,
    fieldBytes: number,
    fieldCount: number,
    inlineBody: Buffer | undefined,
  ): void;
  /** `chunk` is a copy the visitor may keep. */
  onBody(index: number, gen: number, seq: number, chunk: Buffer, last: boolean): void;
  onBodyError(index: number, gen: number, seq: number, status: number): void;
  onFileSent(index: number, gen: number, seq: number, errno: number): void;
  onAborted(index: number, gen: number): void;
  /** One request of a multiplexed connection (an HTTP/2 stream, `seq` its id) is gone. */
  onStreamAborted(index: number, gen: number, seq: number): void;
  /** Request `seq`'s output, and all before it, has been sent. */
  onDrained(index: number, gen: number, seq: number): void;
  /** A piece of a WebSocket message (`chunk` is the visitor's to keep: a copy, or a view of
   * memory nothing else writes); `last`: the message is complete. */
  onWsMessage(index: number, gen: number, chunk: Buffer, binary: boolean, last: boolean): void;
  /** A WebSocket connection ended with `code` and `reason`. */
  onWsClose(index: number, gen: number, code: number, reason: string): void;
}

/**
 * Decodes the first `len` bytes of `ev` (`w` is its u32 view) into calls on `visitor`. `stores`:
 * the Buffers this batch's placed WebSocket messages were received into (`EF_WS_PLACED`).
 */
export function decodeEvents(
  ev: Buffer,
  w: Uint32Array,
  len: number,
  visitor: EventVisitor,
  stores?: readonly Buffer[],
): void {
  let p = 0;
  const end = len >>> 2;
  while (p < end) {
    const head = w[p] as number;
    const kind = head & 0xff;
    const flags = head >>> 8;
    const index = w[p + 1] as number;
    const gen = w[p + 2] as number;
    const seq = w[p + 3] as number;
    if (kind === EV_REQUEST) {
      const methodLen = w[p + 4] as number;
      const targetLen = w[p + 5] as number;
      const count = w[p + 6] as number;
      const bodyLen = w[p + 7] as number;
      const table = p + 8;
      let b = (table + 2 * count) * 4;
      const method =
        methodLen === 3 && ev[b] === 0x47 && ev[b + 1] === 0x45 && ev[b + 2] === 0x54
          ? 'GET'
          : ev.toString('latin1', b, b + methodLen);
      b += padded(methodLen);
      const url = ev.toString('latin1', b, b + targetLen);
      b += padded(targetLen);
      const fieldBytes = b;
      for (let i = 0; i < count; i++)
        b += padded(w[table + 2 * i] as number) + padded(w[table + 2 * i + 1] as number);
      const inline = bodyLen > 0 ? Buffer.from(ev.subarray(b, b + bodyLen)) : undefined;
      b += padded(bodyLen);
      p = b >>> 2;
      visitor.onRequest(index, gen, seq, flags, method, url, table, fieldBytes, count, inline);
      continue;
    }
    if (kind === EV_BODY) {
      const n = w[p + 4] as number;
      const start = (p + 5) * 4;
      visitor.onBody(index, gen, seq, Buffer.from(ev.subarray(start, start + n)), (flags & EF_LAST) !== 0);
      p += 5 + (padded(n) >>> 2);
      continue;
    }
    if (kind === EV_BODY_ERROR) {
      visitor.onBodyError(index, gen, seq, w[p + 4] as number);
      p += 5;
      continue;
    }
    if (kind === EV_FILE_SENT) {
      visitor.onFileSent(index, gen, seq, (w[p + 4] as number) | 0);
      p += 5;
      continue;
    }
    if (kind === EV_ABORTED) {
      if (flags & EF_STREAM) visitor.onStreamAborted(index, gen, seq);
      else visitor.onAborted(index, gen);
      p += 4;
      continue;
    }
    if (kind === EV_DRAINED) {
      visitor.onDrained(index, gen, seq);
      p += 4;
      continue;
    }
    if (kind === EV_WS_MESSAGE && flags & EF_WS_PLACED) {
      // The Buffer the message was received into, as it is: the native side never writes it again.
      const data = stores?.[w[p + 5] as number];
      if (data === undefined || data.length !== w[p + 4]) {
        throw new Error('io_uring engine: a placed WebSocket message without its Buffer');
      }
      visitor.onWsMessage(index, gen, data, (flags & EF_WS_BINARY) !== 0, true);
      p += 6;
      continue;
    }
    if (kind === EV_WS_MESSAGE) {
      const n = w[p + 4] as number;
      const start = (p + 5) * 4;
      visitor.onWsMessage(
        index,
        gen,
        Buffer.from(ev.subarray(start, start + n)),
        (flags & EF_WS_BINARY) !== 0,
        (flags & EF_LAST) !== 0,
      );
      p += 5 + (padded(n) >>> 2);
      continue;
    }
    if (kind === EV_WS_CLOSE) {
      const n = w[p + 5] as number;
      const start = (p + 6) * 4;
      visitor.onWsClose(index, gen, w[p + 4] as number, ev.toString('utf8', start, start + n));
      p += 6 + (padded(n) >>> 2);
      continue;
    }
    throw new Error(
      `io_uring engine: unknown event kind ${kind} (protocol mismatch with the native binding)`,
    );
  }
}

/** The header fields located as `onRequest` reported: names lower-cased, in wire order. */
export function decodeFields(
  ev: Buffer,
  w: Uint32Array,
  fieldTable: number,
  fieldBytes: number,
  fieldCount: number,
): { names: string[]; values: string[] } {
  const names: string[] = [];
  const values: string[] = [];
  let b = fieldBytes;
  for (let i = 0; i < fieldCount; i++) {
    const nl = w[fieldTable + 2 * i] as number;
    const vl = w[fieldTable + 2 * i + 1] as number;
    names.push(ev.toString('latin1', b, b + nl).toLowerCase());
    b += padded(nl);
    values.push(ev.toString('latin1', b, b + vl));
    b += padded(vl);
  }
  return { names, values };
}

/**
 * One header field's value (repeats joined with `, `), found by comparing name bytes so the
 * other fields are never decoded: a handler or tracer asking for one header of a request it
 * answers at once pays for that one. `wanted` is lower-case.
 */
export function findField(
  ev: Buffer,
  w: Uint32Array,
  fieldTable: number,
  fieldBytes: number,
  fieldCount: number,
  wanted: string,
): string | undefined {
  let found: string | undefined;
  let b = fieldBytes;
  for (let i = 0; i < fieldCount; i++) {
    const nl = w[fieldTable + 2 * i] as number;
    const vl = w[fieldTable + 2 * i + 1] as number;
    const v = b + padded(nl);
    if (nl === wanted.length && sameName(ev, b, wanted)) {
      const value = ev.toString('latin1', v, v + vl);
      found = found === undefined ? value : `${found}, ${value}`;
    }
    b = v + padded(vl);
  }
  return found;
}

/** ASCII case-insensitive: the parser admits only token characters in field names. */
function sameName(ev: Buffer, at: number, wanted: string): boolean {
  for (let j = 0; j < wanted.length; j++) {
    let c = ev[at + j] as number;
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== wanted.charCodeAt(j)) return false;
  }
  return true;
}
