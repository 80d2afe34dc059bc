// Raw UDP for the HTTP/3 hostile tests: real client Initials made by aioquic (sans-IO, no
// socket; test/fixtures/quic-initials.py), random datagrams, a sender that spreads datagrams
// over many source ports and keeps what comes back, and the process's resident memory.
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { h3Tools } from './h3-clients.js';

const INITIALS_SCRIPT = new URL('./fixtures/quic-initials.py', import.meta.url).pathname;

/** `count` real client Initial datagrams (1200 bytes each, each its own connection ID). */
export function clientInitials(count: number, dir: string): Buffer[] {
  const out = join(dir, `initials-${count}.bin`);
  execFileSync(h3Tools().python, [INITIALS_SCRIPT, String(count), out], { timeout: 120_000 });
  const file = readFileSync(out);
  const datagrams: Buffer[] = [];
  for (let at = 0; at < file.length; ) {
    const length = file.readUInt32BE(at);
    datagrams.push(file.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  if (datagrams.length !== count) throw new Error(`quic-initials.py wrote ${datagrams.length} of ${count}`);
  return datagrams;
}

/** Reads a QUIC variable-length integer at `at`: its value and the offset after it. */
function varint(bytes: Buffer, at: number): [number, number] {
  const first = bytes[at] ?? 0;
  const length = 1 << (first >> 6);
  let value = first & 0x3f;
  for (let i = 1; i < length; i++) value = value * 256 + (bytes[at + i] ?? 0);
  return [value, at + length];
}

/**
 * Where the Initial packet at the start of `datagram` ends (RFC 9000 §17.2.2: its Length field
 * counts the packet number and the protected payload); bytes past it are the datagram's padding.
 */
export function initialPacketEnd(datagram: Buffer): number {
  let at = 5;
  at += 1 + (datagram[at] ?? 0); // Destination Connection ID
  at += 1 + (datagram[at] ?? 0); // Source Connection ID
  const [tokenLength, afterToken] = varint(datagram, at);
  const [length, afterLength] = varint(datagram, afterToken + tokenLength);
  return afterLength + length;
}

/** A deterministic xorshift stream, so a failing run can be replayed. */
export function randomBytesFrom(seed: number): (n: number) => Buffer {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  return (n) => {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = next() & 0xff;
    return out;
  };
}

/**
 * `count` random datagrams of 1..1500 bytes, a third each: pure noise, noise dressed as a QUIC v1
 * long header (so it is parsed as an Initial/Handshake/0-RTT/Retry and fails deeper), and noise
 * with a short header's first bits (routed by connection ID, matching none).
 */
export function randomDatagrams(count: number, seed: number): Buffer[] {
  const random = randomBytesFrom(seed);
  return Array.from({ length: count }, (_, i) => {
    const size = 1 + (random(2).readUInt16BE(0) % 1500);
    const datagram = random(size);
    if (i % 3 === 1 && size >= 6) {
      datagram[0] = 0xc0 | ((datagram[0] ?? 0) & 0x3f);
      datagram.writeUInt32BE(1, 1);
    } else if (i % 3 === 2) {
      datagram[0] = 0x40 | ((datagram[0] ?? 0) & 0x3f);
    }
    return datagram;
  });
}

/** Whether a server datagram starts with a QUIC v1 Retry packet (long header, type 3). */
export function isRetry(datagram: Buffer): boolean {
  return ((datagram[0] ?? 0) & 0xf0) === 0xf0 && datagram.length >= 5 && datagram.readUInt32BE(1) === 1;
}

/**
 * Whether a server datagram answers with a handshake: a QUIC v1 Initial in a datagram of at
 * least 1200 bytes. A server pads every datagram carrying an ack-eliciting Initial (its
 * ServerHello) to 1200 bytes (RFC 9000 §14.1); the stateless CONNECTION_CLOSE it may send for a
 * bad Initial (e.g. a Destination Connection ID under 8 bytes, §7.2) is not ack-eliciting, so
 * it stays small and is not counted.
 */
export function isHandshake(datagram: Buffer): boolean {
  return ((datagram[0] ?? 0) & 0xf0) === 0xc0 && datagram.length >= 1200 && datagram.readUInt32BE(1) === 1;
}

/** What one source port sent and what the server sent back to it. */
export interface PortExchange {
  sentBytes: number;
  replies: Buffer[];
}

/** Bytes the server sent back to `port`. */
export function replyBytes(port: PortExchange): number {
  return port.replies.reduce((sum, reply) => sum + reply.length, 0);
}

/**
 * Sends `datagrams` to 127.0.0.1:`port` from `ports` sockets (datagram i from socket
 * i % ports), pausing `pauseMs` every `burst` sends so loopback's receive buffer (~200 KB by
 * default: about 90 full-size datagrams) is not simply overflowed, then listens `settleMs`
 * more and returns, per socket, the bytes it sent and the datagrams it got back.
 */
export async function sendFromPorts(
  port: number,
  datagrams: readonly Buffer[],
  options: { ports: number; burst?: number; pauseMs?: number; settleMs?: number },
): Promise<PortExchange[]> {
  const burst = options.burst ?? 64;
  const pauseMs = options.pauseMs ?? 2;
  const sockets: Socket[] = [];
  const exchanges: PortExchange[] = [];
  try {
    for (let i = 0; i < options.ports; i++) {
      const socket = createSocket('udp4');
      const exchange: PortExchange = { sentBytes: 0, replies: [] };
      exchanges.push(exchange);
      socket.on('message', (message) => exchange.replies.push(message));
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      sockets.push(socket);
    }
    for (let i = 0; i < datagrams.length; i++) {
      const socket = sockets[i % sockets.length]!;
      const datagram = datagrams[i]!;
      exchanges[i % sockets.length]!.sentBytes += datagram.length;
      await new Promise<void>((resolve, reject) =>
        socket.send(datagram, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
      );
      if (i % burst === burst - 1) await sleep(pauseMs);
    }
    await sleep(options.settleMs ?? 1000);
    return exchanges;
  } finally {
    for (const socket of sockets) socket.close();
  }
}

/** Resident set size of process `pid` in bytes (from /proc, so it also sees native memory). */
export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib) * 1024;
}

/** Samples {@link residentBytes} every `everyMs` until stopped; `stop()` returns the peak. */
export function watchResident(pid: number, everyMs = 50): { stop(): number } {
  let peak = residentBytes(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, residentBytes(pid));
    } catch {
      // The process is gone: the test's liveness check says so.
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
