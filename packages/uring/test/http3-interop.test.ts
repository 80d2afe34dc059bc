// HTTP/3 on the io_uring engine, proven with three third-party clients over loopback: ngtcp2's
// `gtlsclient` (Debian), aioquic 1.7.2's example client, and libcurl's HTTP/3 through curl_cffi.
// Each fetches a small response, 10 MiB written in chunks under backpressure, 10 MiB through
// `sendFile`, and POSTs 1 MiB that is streamed back; every body is compared by SHA-256 and size,
// and the app must have seen `httpVersion === '3'`. aioquic also runs 50 streams at once on one
// connection; with `retry: 'always'` every client must follow the Retry and be served; a client
// whose address changes mid-transfer (a relay rebinding its port) keeps its connection.
// The clients come from scripts/h3-tools.sh (the test command runs it); a missing one fails.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineServer, ListenOptions } from '../src/index.js';
import { listen } from '../src/index.js';
import { generated, type H3AppLog, h3App, postBody, writeGeneratedFile } from './fixtures/h3-app.mjs';
import { aioquic, curlH3, gtlsclient, h3Tools, sha256 } from './h3-clients.js';
import { startLossyRelay } from './h3-lossy-relay.js';
import { localhostCertificate } from './tls-fixture.js';

const BIG = 10 << 20;
const POST = 1 << 20;
const SMALL = Buffer.from('Hello, World!');

const dir = mkdtempSync(join(tmpdir(), 'zephyr-h3-interop-'));
const certificate = localhostCertificate();
const bigFile = join(dir, 'big.bin');
const postFile = join(dir, 'post.txt');
const post = postBody(POST);
const expected = {
  small: { status: 200, bytes: SMALL.length, sha256: sha256(SMALL) },
  big: { status: 200, bytes: BIG, sha256: sha256(generated(BIG)) },
  post: { status: 200, bytes: POST, sha256: sha256(post) },
};

/** Starts the app on the io_uring engine with HTTP/3 (`http3` as given) on a free port. */
async function startH3(http3: NonNullable<ListenOptions['http3']>, log: H3AppLog): Promise<EngineServer> {
  return listen(
    {
      port: 0,
      host: '127.0.0.1',
      engine: 'io_uring',
      tls: certificate,
      http3,
      // The 1 MiB POST is exactly the default limit; leave room.
      limits: { maxBodyBytes: 4 << 20 },
    },
    h3App(bigFile, log),
  );
}

/** A fresh folder for one client's downloads. */
function downloads(name: string): string {
  const path = join(dir, name);
  mkdirSync(path, { recursive: true });
  return path;
}

let server: EngineServer;
const log: H3AppLog = { versions: [], errors: [] };
let origin = '';

beforeAll(async () => {
  h3Tools(); // fails at once, naming scripts/h3-tools.sh, when a client is missing
  writeGeneratedFile(bigFile, BIG);
  writeFileSync(postFile, post);
  server = await startH3(true, log);
  origin = `https://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close({ timeoutMs: 2000 });
  rmSync(dir, { recursive: true, force: true });
});

describe('HTTP/3 on the io_uring engine with real clients', { timeout: 300_000 }, () => {
  it("ngtcp2's gtlsclient: small, 10 MiB streamed, 10 MiB sendFile, 1 MiB POST echoed", async () => {
    const before = log.versions.length;
    const small = await gtlsclient(`${origin}/`, downloads('gtls-small'));
    expect(small.log).toMatch(/Negotiated ALPN is h3/);
    expect(small).toMatchObject(expected.small);
    expect(await gtlsclient(`${origin}/bytes/${BIG}`, downloads('gtls-bytes'))).toMatchObject(expected.big);
    expect(await gtlsclient(`${origin}/file/${BIG}`, downloads('gtls-file'))).toMatchObject(expected.big);
    const echo = await gtlsclient(`${origin}/echo`, downloads('gtls-echo'), { postFile });
    expect(echo).toMatchObject(expected.post);
    expect(log.versions.slice(before)).toEqual(['3', '3', '3', '3']);
    expect(log.errors).toEqual([]);
  });

  it("aioquic's example client: the same four transfers", async () => {
    const before = log.versions.length;
    const caFile = certificate.cert;
    const [small] = await aioquic([`${origin}/`], downloads('aioquic-small'), { caFile });
    expect(small).toMatchObject(expected.small);
    const [bytes, file] = await aioquic(
      [`${origin}/bytes/${BIG}`, `${origin}/file/${BIG}`],
      downloads('aioquic-big'),
      { caFile },
    );
    expect(bytes).toMatchObject(expected.big);
    expect(file).toMatchObject(expected.big);
    const echo = await aioquic([`${origin}/echo`], downloads('aioquic-echo'), { caFile, postFile });
    expect(echo.run.log).toMatch(/ALPN negotiated protocol h3/);
    expect(echo[0]).toMatchObject(expected.post);
    expect(log.versions.slice(before)).toEqual(['3', '3', '3', '3']);
  });

  it('libcurl (curl_cffi, HTTP/3 only): the same four transfers', async () => {
    const before = log.versions.length;
    const out = downloads('curl');
    const caFile = certificate.cert;
    const small = await curlH3(`${origin}/`, join(out, 'small'), { caFile });
    expect(small).toMatchObject({ ...expected.small, httpVersion: 30 });
    expect(await curlH3(`${origin}/bytes/${BIG}`, join(out, 'bytes'), { caFile })).toMatchObject(
      expected.big,
    );
    expect(await curlH3(`${origin}/file/${BIG}`, join(out, 'file'), { caFile })).toMatchObject(expected.big);
    expect(await curlH3(`${origin}/echo`, join(out, 'echo'), { caFile, postFile })).toMatchObject(
      expected.post,
    );
    expect(log.versions.slice(before)).toEqual(['3', '3', '3', '3']);
  });

  it('aioquic: 50 concurrent streams on one connection, every body checked', async () => {
    const sizes = Array.from({ length: 50 }, (_, i) => 100_000 + i);
    const responses = await aioquic(
      sizes.map((n) => `${origin}/bytes/${n}`),
      downloads('aioquic-50'),
      { caFile: certificate.cert },
    );
    expect(responses.run.log.match(/Response received for GET/g)).toHaveLength(50);
    // aioquic logs one close per connection: all 50 requests shared one.
    expect(responses.run.log.match(/Connection close sent/g)).toHaveLength(1);
    responses.forEach((response, i) => {
      const n = sizes[i] ?? 0;
      expect(response).toEqual({ status: 200, bytes: n, sha256: sha256(generated(n)) });
    });
  });
});

describe('HTTP/3 connection migration', { timeout: 120_000 }, () => {
  it('a client whose address changes mid-transfer (a NAT rebinding) keeps its connection', async () => {
    const caFile = certificate.cert;
    for (const client of ['libcurl', 'gtlsclient'] as const) {
      // The relay forwards everything, and after 1,000 datagrams (about a tenth of the 10 MiB)
      // talks to the server from a new port: the server must follow the connection there.
      const relay = await startLossyRelay(server.port, {
        loss: 0,
        reorder: 0,
        holdMs: 0,
        seed: 1,
        rebindAt: 1000,
      });
      const before = server.http3Counters?.()?.connectionsAccepted ?? Number.NaN;
      try {
        const url = `https://127.0.0.1:${relay.port}/bytes/${BIG}`;
        const got =
          client === 'libcurl'
            ? await curlH3(url, join(downloads('migration-curl'), 'big'), { caFile })
            : await gtlsclient(url, downloads('migration-gtls'));
        expect(got).toMatchObject(expected.big);
        expect(relay.stats.rebound).toBe(1);
        // One connection throughout: the client did not reconnect after the move.
        expect(server.http3Counters?.()?.connectionsAccepted).toBe(before + 1);
      } finally {
        relay.close();
      }
    }
  });
});

describe("HTTP/3 with retry: 'always'", { timeout: 120_000 }, () => {
  let retrying: EngineServer;
  const retryLog: H3AppLog = { versions: [], errors: [] };
  beforeAll(async () => {
    retrying = await startH3({ retry: 'always' }, retryLog);
  });
  afterAll(async () => {
    await retrying?.close({ timeoutMs: 2000 });
  });

  it('every client follows the Retry and is served', async () => {
    const url = `https://127.0.0.1:${retrying.port}/`;
    const caFile = certificate.cert;
    // ngtcp2 logs the Retry packet and the retry_source_connection_id it then checks.
    const gtls = await gtlsclient(url, downloads('retry-gtls'), { quicDump: true });
    expect(gtls.log).toMatch(/type=Retry/);
    expect(gtls.log).toMatch(/retry_source_connection_id=/);
    expect(gtls).toMatchObject(expected.small);
    const viaAioquic = await aioquic([url], downloads('retry-aioquic'), { caFile });
    expect(viaAioquic.run.log).toMatch(/Retrying with token/);
    expect(viaAioquic[0]).toMatchObject(expected.small);
    // libcurl does not log the Retry; it must still be served on a server that always sends one.
    const curl = await curlH3(url, join(downloads('retry-curl'), 'small'), { caFile });
    expect(curl).toMatchObject({ ...expected.small, httpVersion: 30 });
    expect(retryLog.versions).toEqual(['3', '3', '3']);
  });
});
