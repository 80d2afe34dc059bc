// A raw-frame HTTP/2 client for hostile-peer tests: it writes any frame, valid or not (RFC 9113
// §4.1 layout, HPACK literals by hand), and records every frame the server sends back. It knows
// nothing of the engine, so the same tests run against every engine that serves HTTP/2.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** Frame types (RFC 9113 §6). */
export const FRAME = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Frame flags. */
export const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;

/** Error codes (RFC 9113 §7). */
export const H2_ERROR = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  ENHANCE_YOUR_CALM: 0xb,
} as const;

/** SETTINGS identifiers (RFC 9113 §6.5.2). */
export const SETTING = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** One frame: a 9-byte header and its payload. */
export function frame(
  type: number,
  flags: number,
  streamId: number,
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fff_ffff, 5);
  return Buffer.concat([head, payload]);
}

/** A frame header announcing `length` bytes, for frames larger than any limit. */
export function frameHeader(type: number, flags: number, streamId: number, length: number): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return head;
}

export function settingsFrame(pairs: Array<[number, number]> = [], flags = 0): Buffer {
  const payload = Buffer.alloc(pairs.length * 6);
  pairs.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6);
    payload.writeUInt32BE(value, i * 6 + 2);
  });
  return frame(FRAME.SETTINGS, flags, 0, payload);
}

export function rstStream(streamId: number, code: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code, 0);
  return frame(FRAME.RST_STREAM, 0, streamId, payload);
}

export function windowUpdate(streamId: number, increment: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(increment, 0);
  return frame(FRAME.WINDOW_UPDATE, 0, streamId, payload);
}

export function ping(data = Buffer.alloc(8), flags = 0): Buffer {
  return frame(FRAME.PING, flags, 0, data);
}

/** An HPACK integer with an `n`-bit prefix (RFC 7541 §5.1); `high` holds the bits above it. */
export function hpackInt(value: number, n: number, high = 0): Buffer {
  const max = (1 << n) - 1;
  if (value < max) return Buffer.from([high | value]);
  const bytes = [high | max];
  let rest = value - max;
  while (rest >= 128) {
    bytes.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function hpackString(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  return Buffer.concat([hpackInt(bytes.length, 7), bytes]);
}

/** A literal field without indexing, new name (RFC 7541 §6.2.2). */
export function literal(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x00]), hpackString(name), hpackString(value)]);
}

/** A literal field with incremental indexing, new name: it enters the dynamic table (§6.2.1). */
export function literalIndexed(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x40]), hpackString(name), hpackString(value)]);
}

/** An indexed field (§6.1): 62 is the newest dynamic table entry. */
export function indexed(index: number): Buffer {
  return hpackInt(index, 7, 0x80);
}

/** The header block of a request. */
export function requestBlock(
  method: string,
  path: string,
  extra: Array<[string, string]> = [],
  authority = 'localhost',
): Buffer {
  return Buffer.concat([
    literal(':method', method),
    literal(':scheme', 'http'),
    literal(':authority', authority),
    literal(':path', path),
    ...extra.map(([name, value]) => literal(name, value)),
  ]);
}

/** HEADERS with END_HEADERS (and END_STREAM unless `body` follows). */
export function headersFrame(streamId: number, block: Buffer, endStream = true): Buffer {
  return frame(FRAME.HEADERS, FLAG.END_HEADERS | (endStream ? FLAG.END_STREAM : 0), streamId, block);
}

/** One frame the server sent. */
export interface ReceivedFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** A connection that speaks raw frames; `frames` grows as the server sends. */
export class RawH2Client {
  readonly frames: ReceivedFrame[] = [];
  closed = false;
  /** Bytes of DATA received per stream. */
  readonly dataBytes = new Map<number, number>();
  private buffer: Buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /** Connects (h2c, or h2 over TLS with ALPN), sends the preface and `settings`. */
  static async open(
    port: number,
    options: { tls?: boolean; settings?: Array<[number, number]>; preface?: boolean } = {},
  ): Promise<RawH2Client> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = options.tls
        ? tlsConnect({ port, host: '127.0.0.1', ALPNProtocols: ['h2'], rejectUnauthorized: false }, () =>
            resolve(s),
          )
        : connect({ port, host: '127.0.0.1' }, () => resolve(s));
      s.once('error', reject);
    });
    socket.setNoDelay(true);
    const client = new RawH2Client(socket);
    if (options.preface !== false)
      client.send(Buffer.concat([PREFACE, settingsFrame(options.settings ?? [])]));
    return client;
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 9) {
      const length = this.buffer.readUIntBE(0, 3);
      if (this.buffer.length < 9 + length) break;
      const received: ReceivedFrame = {
        type: this.buffer[3]!,
        flags: this.buffer[4]!,
        streamId: this.buffer.readUInt32BE(5) & 0x7fff_ffff,
        payload: this.buffer.subarray(9, 9 + length),
      };
      this.buffer = this.buffer.subarray(9 + length);
      if (received.type === FRAME.DATA)
        this.dataBytes.set(received.streamId, (this.dataBytes.get(received.streamId) ?? 0) + length);
      // Keep memory flat under floods: DATA payloads are counted, not kept.
      this.frames.push(received.type === FRAME.DATA ? { ...received, payload: Buffer.alloc(0) } : received);
      // A server SETTINGS needs our ACK, as any client gives.
      if (received.type === FRAME.SETTINGS && (received.flags & FLAG.ACK) === 0 && !this.socket.destroyed)
        this.socket.write(settingsFrame([], FLAG.ACK));
    }
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Writes bytes; resolves when the socket took them (or at once when it is gone). */
  send(bytes: Buffer): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      if (this.socket.write(bytes)) resolve();
      else {
        const done = (): void => {
          this.socket.off('drain', done);
          this.socket.off('close', done);
          resolve();
        };
        this.socket.once('drain', done);
        this.socket.once('close', done);
      }
    });
  }

  /** Resolves with the first frame matching `match` (past or future), or rejects after `timeoutMs`. */
  async waitFor(match: (f: ReceivedFrame) => boolean, timeoutMs = 10_000): Promise<ReceivedFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (this.closed) throw new Error(`connection closed without the frame; got ${this.describe()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; got ${this.describe()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves once the server closed the connection, or rejects after `timeoutMs`. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`still open after ${timeoutMs} ms; got ${this.describe()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The GOAWAY the server sent, if any: its error code and last stream id. */
  goaway(): { code: number; lastStreamId: number } | undefined {
    const f = this.frames.find((x) => x.type === FRAME.GOAWAY);
    return f && { lastStreamId: f.payload.readUInt32BE(0) & 0x7fff_ffff, code: f.payload.readUInt32BE(4) };
  }

  /** RST_STREAM codes the server sent, by stream. */
  resets(): Map<number, number> {
    const out = new Map<number, number>();
    for (const f of this.frames)
      if (f.type === FRAME.RST_STREAM) out.set(f.streamId, f.payload.readUInt32BE(0));
    return out;
  }

  describe(): string {
    const names = Object.fromEntries(Object.entries(FRAME).map(([k, v]) => [v, k]));
    return (
      this.frames
        .slice(-12)
        .map((f) => `${names[f.type] ?? f.type}(s${f.streamId},f${f.flags})`)
        .join(' ') + (this.closed ? ' [closed]' : '')
    );
  }

  close(): void {
    this.socket.destroy();
  }
}
