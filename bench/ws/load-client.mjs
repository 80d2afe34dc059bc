// One load-generating process of the WebSocket benchmark (run.mjs starts several, so the client
// side is not the bottleneck). It speaks RFC 6455 on raw TCP sockets, doing only what a load
// generator must: frames are built once and written as they are (masked with a zero key, which
// leaves the payload as it is: the server still applies the mask), replies are counted by
// reading frame headers, and several replies read at once are answered with one write. The `ws`
// client did several times the work per message, which capped every server at its rate.
//
// Driven by run.mjs over the IPC channel: { op, ... } in, { op, ... } out (see `handle`).
import { connect } from 'node:net';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** A client frame (FIN, masked with a zero key) carrying `payload`. */
function clientFrame(payload, binary) {
  const len = payload.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const frame = Buffer.alloc(head + 4 + len);
  frame[0] = 0x80 | (binary ? 2 : 1);
  if (len < 126) frame[1] = 0x80 | len;
  else if (len < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(len), 2);
  }
  payload.copy(frame, head + 4);
  return frame;
}

/**
 * Reads server frames (never masked) from a byte stream: counts whole messages and, when
 * `capture` is set, hands each complete payload of a small message to `onPayload`.
 */
class FrameCounter {
  header = Buffer.alloc(14);
  have = 0;
  /** Payload bytes still to skip (or capture) of the current frame. */
  left = 0;
  fin = false;
  captured = [];
  constructor(capture, onPayload) {
    this.capture = capture;
    this.onPayload = onPayload;
  }

  /** Feeds a chunk; returns the messages completed in it. */
  feed(chunk) {
    let messages = 0;
    let at = 0;
    while (at < chunk.length) {
      if (this.left > 0) {
        const n = Math.min(this.left, chunk.length - at);
        if (this.capture) this.captured.push(chunk.subarray(at, at + n));
        this.left -= n;
        at += n;
        if (this.left === 0 && this.frameDone()) messages += 1;
        continue;
      }
      this.header[this.have++] = chunk[at++];
      if (this.have < 2) continue;
      const short = this.header[1] & 0x7f;
      const need = short < 126 ? 2 : short === 126 ? 4 : 10;
      if (this.have < need) continue;
      this.fin = (this.header[0] & 0x80) !== 0;
      this.left =
        short < 126
          ? short
          : short === 126
            ? this.header.readUInt16BE(2)
            : Number(this.header.readBigUInt64BE(2));
      this.have = 0;
      if (this.left === 0 && this.frameDone()) messages += 1;
    }
    return messages;
  }

  /** The current frame ended; true when it ended a message (not a control frame). */
  frameDone() {
    const opcode = this.header[0] & 0x0f;
    const payload = this.captured.length === 1 ? this.captured[0] : Buffer.concat(this.captured);
    this.captured = [];
    if (opcode >= 8) return false;
    if (this.fin && this.capture) this.onPayload(payload);
    return this.fin;
  }
}

/** Opens a WebSocket on `port` at `path`; resolves with the socket and the bytes after the 101. */
function openSocket(port, path) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    let head = Buffer.alloc(0);
    const onData = (d) => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      if (!head.subarray(0, 12).toString().startsWith('HTTP/1.1 101')) {
        socket.destroy();
        reject(new Error(`upgrade refused: ${head.subarray(0, end).toString()}`));
        return;
      }
      resolve({ socket, rest: head.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}

async function openMany(port, path, count) {
  const out = [];
  for (let i = 0; i < count; i += 100) {
    const batch = Math.min(100, count - i);
    out.push(...(await Promise.all(Array.from({ length: batch }, () => openSocket(port, path)))));
  }
  for (const { socket } of out) socket.on('error', () => {});
  return out;
}

let sockets = [];

function closeAll() {
  for (const { socket } of sockets) socket.destroy();
  sockets = [];
}

/** Echo: each socket keeps `depth` messages in flight for `ms`; returns the replies counted. */
async function echo({ port, count, depth, payload, binary, ms }) {
  sockets = await openMany(port, '/echo', count);
  const frame = clientFrame(Buffer.from(payload, 'base64'), binary);
  const burst = Buffer.concat(Array.from({ length: depth }, () => frame));
  let replies = 0;
  let running = true;
  for (const { socket } of sockets) {
    const counter = new FrameCounter(false);
    socket.on('data', (chunk) => {
      const n = counter.feed(chunk);
      replies += n;
      if (running && n > 0) socket.write(burst.subarray(0, n * frame.length));
    });
    socket.write(burst);
  }
  await new Promise((resolve) => setTimeout(resolve, ms));
  running = false;
  const counted = replies;
  closeAll();
  return { replies: counted };
}

/** Latencies in 10 µs buckets up to 10 s (a histogram, so many processes' sets can be merged). */
const BUCKET_US = 10;
const latencyBuckets = new Uint32Array(1_000_000);

/** Fan-out: opens `count` subscribers; each round, reports once all of them got the message. */
async function subscribe({ port, count }) {
  sockets = await openMany(port, '/fanout', count);
  latencyBuckets.fill(0);
  let got = 0;
  for (const { socket, rest } of sockets) {
    const counter = new FrameCounter(true, (payload) => {
      const us = Number(process.hrtime.bigint() - BigInt(payload.toString())) / 1000;
      latencyBuckets[Math.min(latencyBuckets.length - 1, Math.floor(us / BUCKET_US))] += 1;
    });
    const onData = (chunk) => {
      got += counter.feed(chunk);
      if (got === sockets.length) {
        got = 0;
        process.send({ op: 'round' });
      }
    };
    if (rest.length > 0) onData(rest);
    socket.on('data', onData);
  }
  return { opened: sockets.length };
}

function publish() {
  // The clock is CLOCK_MONOTONIC, the same in every process of the machine.
  sockets[0].socket.write(clientFrame(Buffer.from(String(process.hrtime.bigint())), false));
}

function latencies() {
  const out = [];
  for (let i = 0; i < latencyBuckets.length; i++)
    if (latencyBuckets[i] > 0) out.push([i * BUCKET_US, latencyBuckets[i]]);
  return out;
}

async function handle(m) {
  switch (m.op) {
    case 'echo':
      return echo(m);
    case 'idle':
      sockets = await openMany(m.port, '/idle', m.count);
      return { opened: sockets.length };
    case 'subscribe':
      return subscribe(m);
    case 'publish':
      publish();
      return undefined;
    case 'latencies':
      return { latencies: latencies() };
    case 'close':
      closeAll();
      return {};
    default:
      throw new Error(`unknown op ${m.op}`);
  }
}

process.on('message', (m) => {
  handle(m).then(
    (result) => result !== undefined && process.send({ op: `${m.op}:done`, ...result }),
    (err) => process.send({ op: 'error', message: String(err?.stack ?? err) }),
  );
});
process.send({ op: 'ready' });
// The runner went away: so does its load.
process.on('disconnect', () => process.exit(0));
