import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';

type Message = string | Buffer;
/** Messages each client received and nobody took yet, and who waits for the next one. */
const inboxes = new WeakMap<WebSocket, { queue: Message[]; waiters: Array<(m: Message) => void> }>();

/**
 * A `ws` client, open (rejects on an unexpected-response or error). Messages are queued from the
 * first byte, so one the server sends in its `open` handler (often in the same packet as the
 * 101) is not missed.
 */
export function openClient(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const inbox = { queue: [] as Message[], waiters: [] as Array<(m: Message) => void> };
    inboxes.set(ws, inbox);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const message = isBinary ? data : data.toString();
      const waiter = inbox.waiters.shift();
      if (waiter) waiter(message);
      else inbox.queue.push(message);
    });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** The next message a client receives, as text (binary as a Buffer). */
export function nextMessage(ws: WebSocket): Promise<Message> {
  const inbox = inboxes.get(ws);
  if (!inbox) throw new Error('nextMessage needs a client from openClient');
  const queued = inbox.queue.shift();
  if (queued !== undefined) return Promise.resolve(queued);
  return new Promise((resolve) => inbox.waiters.push(resolve));
}

/** Resolves with the close code and reason when the client's connection closes. */
export function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) resolve({ code: 1006, reason: '' });
    ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() }));
  });
}

/** The status line and headers of the server's answer to a hand-written upgrade request. */
export interface RawUpgrade {
  status: number;
  head: string;
  /** Bytes after the head. */
  rest: Buffer;
  socket: Socket;
}

/** Sends an upgrade request by hand (so the test controls reading) and reads the response head. */
export function rawUpgrade(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawUpgrade> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      '',
      '',
    ];
    socket.write(lines.join('\r\n'));
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      socket.pause();
      const head = buf.subarray(0, end).toString('latin1');
      resolve({ status: Number(head.split(' ')[1]), head, rest: buf.subarray(end + 4), socket });
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/** A masked client frame. */
export function clientFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const mask = randomBytes(4);
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | len])
      : Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([head, mask, body]);
}
