// Hostile input against HTTP/3 on the io_uring engine, the server in its own process so that a
// crash is seen as an exit and its memory is its own: thousands of random datagrams (noise, noise
// dressed as QUIC v1 long and short headers), a real client Initial (made by aioquic) cut at every
// length and with its payload corrupted, a handshake flood of real Initials from hundreds of
// source ports, and HTTP/3 frame sequences that break RFC 9114. After each the process must be
// alive and real clients served; Retry must have been sent under the flood, no port may get more
// than 3x what it sent, the frames get the RFC's error codes, and the RSS stays bounded.
//
// The RSS bound, 64 MiB over the warmed-up process: the attacks send ~11 MB in ~7,000 datagrams.
// None of the noise or of the cut/corrupted Initials may create state (a server drops them before
// any connection exists: RFC 9000 §14.1, §12.2); each flood Initial is answered either by a
// stateless Retry or by a handshake that holds one quinn connection (TLS state, the server's
// first flight kept for retransmission: well under 100 KB), at most the 64 handshakes the Retry
// policy lets run plus those admitted before it counts them. 400 × 100 KB is 40 MB, so 64 MiB
// only fails on state kept per datagram or per refused handshake.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultHttp3Settings, type Http3Counters } from '../src/index.js';
import { curlH3, gtlsclient, rawFrames } from './h3-clients.js';
import {
  clientInitials,
  initialPacketEnd,
  isHandshake,
  isRetry,
  type PortExchange,
  randomDatagrams,
  replyBytes,
  residentBytes,
  sendFromPorts,
  watchResident,
} from './h3-datagrams.js';
import { type ServerProcess, startH3Process } from './h3-server-process.js';
import { localhostCertificate } from './tls-fixture.js';

const RSS_GROWTH_BOUND = 64 << 20;
const FLOOD = 400;

const dir = mkdtempSync(join(tmpdir(), 'zephyr-h3-hostile-'));
const certificate = localhostCertificate();

/**
 * No source port got more than three times what it sent: the anti-amplification limit on an
 * unvalidated address (RFC 9000 §8.1), which is what keeps a spoofed flood from being reflected.
 */
function expectNoAmplification(exchanges: readonly PortExchange[]): void {
  const worst = Math.max(...exchanges.map((port) => replyBytes(port) / Math.max(port.sentBytes, 1)));
  expect(worst).toBeLessThanOrEqual(3);
}

function expectAlive(server: ServerProcess): void {
  expect(server.alive(), server.output()).toBe(true);
}

let fetched = 0;

/** The engine's HTTP/3 counters, fetched over HTTP/3 (one more accepted connection each time). */
async function counters(server: ServerProcess): Promise<Http3Counters> {
  const out = join(dir, `counters-${fetched++}.json`);
  await curlH3(`https://127.0.0.1:${server.port}/counters`, out, { caFile: certificate.cert });
  return JSON.parse(readFileSync(out, 'utf8')) as Http3Counters;
}

/** A real client over HTTP/3 is served: libcurl, then ngtcp2. */
async function expectServed(server: ServerProcess, name: string): Promise<void> {
  const url = `https://127.0.0.1:${server.port}/`;
  const out = join(dir, `${name}-curl`);
  expect(await curlH3(url, out, { caFile: certificate.cert })).toMatchObject({
    status: 200,
    bytes: 13,
    httpVersion: 30,
  });
  const downloads = join(dir, `${name}-gtls`);
  mkdirSync(downloads);
  expect(await gtlsclient(url, downloads)).toMatchObject({ status: 200, bytes: 13 });
}

let server: ServerProcess;
let initials: Buffer[] = [];
let baseline = 0;
let peak = 0;
let watch: { stop(): number };

beforeAll(async () => {
  initials = clientInitials(FLOOD + 1, dir);
  server = await startH3Process({ host: '127.0.0.1', tls: certificate, file: '/dev/null' });
  // Warm up (the first handshake loads the TLS and QUIC code) before the baseline is taken.
  await expectServed(server, 'warm-up');
  baseline = residentBytes(server.pid);
  watch = watchResident(server.pid);
}, 180_000);

afterAll(() => {
  watch?.stop();
  server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('HTTP/3 on the io_uring engine under hostile UDP', { timeout: 180_000 }, () => {
  it('6,000 random datagrams from 60 ports: alive, no handshake started, then clients are served', async () => {
    const before = await counters(server);
    const exchanges = await sendFromPorts(server.port, randomDatagrams(6000, 0x5eed), { ports: 60 });
    // Noise may earn a Version Negotiation, a stateless reset or close, never a handshake.
    expect(exchanges.flatMap((port) => port.replies).filter(isHandshake)).toHaveLength(0);
    expectNoAmplification(exchanges);
    // The only connection accepted since is the one that fetched the counters.
    const after = await counters(server);
    expect(after.connectionsAccepted - before.connectionsAccepted).toBe(1);
    expectAlive(server);
    await expectServed(server, 'after-random');
  });

  it('a real Initial cut at every length, and one with a corrupted payload: no handshake, then served', async () => {
    const initial = initials[FLOOD]!;
    // aioquic pads the datagram to 1200 bytes after the packet; cuts and damage that matter fall
    // inside the packet (a datagram cut anywhere is under 1200 bytes and dropped all the same).
    const end = initialPacketEnd(initial);
    expect(end).toBeGreaterThan(200); // the header parsed: a ClientHello is several hundred bytes
    expect(end).toBeLessThanOrEqual(initial.length);
    const cut = Array.from({ length: initial.length - 1 }, (_, n) => initial.subarray(0, n + 1));
    // Cut inside the packet, then padded back to 1200 bytes with zeros: its AEAD tag is then wrong.
    const padded = cut
      .filter((c) => c.length < end)
      .map((c) => Buffer.concat([c, Buffer.alloc(initial.length - c.length)]));
    const corrupted = Array.from({ length: 64 }, (_, i) => {
      const copy = Buffer.from(initial);
      const at = 100 + ((i * 17) % (end - 100));
      copy[at] = (copy[at] ?? 0) ^ 0x5a;
      return copy;
    });
    const before = await counters(server);
    const exchanges = await sendFromPorts(server.port, [...cut, ...padded, ...corrupted], { ports: 32 });
    // RFC 9000 §14.1: an Initial in a datagram under 1200 bytes is dropped; a payload that fails
    // authentication is dropped (§12.2). Neither may start a handshake.
    expect(exchanges.flatMap((port) => port.replies).filter(isHandshake)).toHaveLength(0);
    expectNoAmplification(exchanges);
    const after = await counters(server);
    expect(after.connectionsAccepted - before.connectionsAccepted).toBe(1);
    expectAlive(server);
    await expectServed(server, 'after-truncated');
  });

  it(`a handshake flood of ${FLOOD} real Initials from ${FLOOD} ports gets Retry; alive, bounded, served`, async () => {
    // 16 Initials every 20 ms (800/s): far more handshakes at once than the Retry policy admits,
    // yet slow enough for loopback's receive buffer, so every Initial gets an answer to count.
    const before = await counters(server);
    const exchanges = await sendFromPorts(server.port, initials.slice(0, FLOOD), {
      ports: FLOOD,
      burst: 16,
      pauseMs: 20,
      settleMs: 2000,
    });
    const replies = exchanges.map((port) => port.replies);
    const retried = replies.filter((got) => got.some(isRetry)).length;
    const handshakes = replies.filter((got) => got.some(isHandshake)).length;
    const silent = replies.filter((got) => got.length === 0).length;
    console.log(`handshake flood: ${retried} ports got Retry, ${handshakes} a handshake, ${silent} nothing`);
    // Past the handshakes the Retry policy admits (`retry: 'auto'`: more than
    // handshakesBeforeRetry at once), every new connection must validate its address first.
    expect(handshakes).toBeLessThanOrEqual(defaultHttp3Settings.handshakesBeforeRetry + 1);
    expect(retried).toBeGreaterThan(FLOOD / 2);
    expect(retried + handshakes + silent).toBe(FLOOD);
    expectNoAmplification(exchanges);
    // The engine counts what the sockets saw: a Retry sent per port retried, a connection per
    // handshake (plus the one fetching the counters).
    const after = await counters(server);
    console.log(`counters during the flood: ${JSON.stringify(after)} (before: ${JSON.stringify(before)})`);
    expect(after.retriesSent - before.retriesSent).toBeGreaterThanOrEqual(retried);
    expect(after.connectionsAccepted - before.connectionsAccepted).toBeLessThanOrEqual(handshakes + 1);
    expectAlive(server);
    // A real client is served during the flood's half-open handshakes (through Retry if needed).
    await expectServed(server, 'after-flood');
  });

  it('HTTP/3 frames that break RFC 9114 close the connection with the RFC code; others are served', async () => {
    const origin = `https://127.0.0.1:${server.port}`;
    const caFile = certificate.cert;
    // §4.1: DATA before HEADERS; §7.2.8: an HTTP/2 frame type; §6.2.1: a control stream
    // opening without SETTINGS. (More cases run in memory: crates/zephyr-h3/tests/in_memory.rs.)
    expect(await rawFrames(origin, 'data-before-headers', { caFile })).toBe(0x105); // H3_FRAME_UNEXPECTED
    expect(await rawFrames(origin, 'http2-frame-type', { caFile })).toBe(0x105);
    expect(await rawFrames(origin, 'control-without-settings', { caFile })).toBe(0x10a); // H3_MISSING_SETTINGS
    expectAlive(server);
    await expectServed(server, 'after-frames');
  });

  it(`memory stayed within ${RSS_GROWTH_BOUND >> 20} MiB of the warmed-up process`, () => {
    peak = Math.max(watch.stop(), residentBytes(server.pid));
    console.log(
      `RSS: ${(baseline / 2 ** 20).toFixed(1)} MiB warmed up, peak ${(peak / 2 ** 20).toFixed(1)} MiB under attack`,
    );
    expect(peak - baseline).toBeLessThan(RSS_GROWTH_BOUND);
    expectAlive(server);
  });
});
