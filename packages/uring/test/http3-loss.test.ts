// HTTP/3 on the io_uring engine over a bad network, the interop transfers again (a small
// response, 10 MiB streamed, 10 MiB by sendFile, a 1 MiB POST echoed; every body compared by
// SHA-256) with each of the three real clients, twice:
// - with `tc netem` (5% loss, 5 ms ± 2 ms delay, 10% of packets reordered) on the loopback of a
//   network namespace the test makes, the server and the clients inside it. Where namespaces or
//   netem are unavailable (no root, no `tc`, a kernel without the netem qdisc, as here) that
//   block is skipped; the reason is printed and is part of the skipped block's name.
// - through a user-space UDP relay that drops 5% and holds back 10% of the datagrams each way
//   (test/h3-lossy-relay.ts), which runs everywhere; it must really have dropped and reordered.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generated, postBody, writeGeneratedFile } from './fixtures/h3-app.mjs';
import { aioquic, type ClientPlace, curlH3, gtlsclient, h3Tools, sha256 } from './h3-clients.js';
import { type LossyRelay, startLossyRelay } from './h3-lossy-relay.js';
import { type ServerProcess, startH3Process } from './h3-server-process.js';
import { localhostCertificate } from './tls-fixture.js';

/** The impairment, on the namespace's loopback (so on both directions of every exchange). */
const NETEM = ['delay', '5ms', '2ms', 'loss', '5%', 'reorder', '10%', '50%'];
const BIG = 10 << 20;
const POST = 1 << 20;
const SMALL = Buffer.from('Hello, World!');
/** The relay's impairment: drop 5%, hold back 10% by 8 ms (so later datagrams overtake them). */
const RELAY = { loss: 0.05, reorder: 0.1, holdMs: 8, seed: 0x10557 };

/** Runs `ip`/`tc`; throws with the command's own error text. */
function sh(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`\`${command} ${args.join(' ')}\` failed: ${stderr || (err as Error).message}`);
  }
}

/** Makes namespace `name` with its loopback up and netem on it. */
function impairedNamespace(name: string): void {
  sh('ip', ['netns', 'add', name]);
  try {
    sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    sh('ip', ['netns', 'exec', name, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', ...NETEM]);
  } catch (err) {
    removeNamespace(name);
    throw err;
  }
}

function removeNamespace(name: string): void {
  try {
    sh('ip', ['netns', 'del', name]);
  } catch {
    // Already gone.
  }
}

/** Why this machine cannot run the block, or undefined when it can (probed by doing it once). */
function netemUnavailable(): string | undefined {
  const probe = `zephyr-h3-probe-${process.pid}`;
  try {
    impairedNamespace(probe);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    removeNamespace(probe);
  }
}

const unavailable = netemUnavailable();
if (unavailable) console.warn(`HTTP/3 loss test skipped: ${unavailable}`);

const SMALL_EXPECTED = { status: 200, bytes: SMALL.length, sha256: sha256(SMALL) };
const BIG_EXPECTED = { status: 200, bytes: BIG, sha256: sha256(generated(BIG)) };

/**
 * The transfers, as one test per client, against the server `target()` returns, the clients run
 * as `place` says.
 */
function transfers(
  target: () => { origin: string; dir: string; postFile: string; post: Buffer },
  place: ClientPlace,
) {
  const certificate = localhostCertificate();
  const caFile = certificate.cert;
  const downloads = (name: string) => {
    const path = join(target().dir, name);
    mkdirSync(path, { recursive: true });
    return path;
  };
  const postExpected = () => ({ status: 200, bytes: POST, sha256: sha256(target().post) });

  it("ngtcp2's gtlsclient: small, 10 MiB streamed, 10 MiB sendFile, 1 MiB POST", async () => {
    const { origin, postFile } = target();
    expect(await gtlsclient(`${origin}/`, downloads('gtls-small'), place)).toMatchObject(SMALL_EXPECTED);
    expect(await gtlsclient(`${origin}/bytes/${BIG}`, downloads('gtls-bytes'), place)).toMatchObject(
      BIG_EXPECTED,
    );
    expect(await gtlsclient(`${origin}/file/${BIG}`, downloads('gtls-file'), place)).toMatchObject(
      BIG_EXPECTED,
    );
    expect(await gtlsclient(`${origin}/echo`, downloads('gtls-echo'), { ...place, postFile })).toMatchObject(
      postExpected(),
    );
  });

  it("aioquic's example client: the same transfers", async () => {
    const { origin, postFile } = target();
    const [small, bytes, file] = await aioquic(
      [`${origin}/`, `${origin}/bytes/${BIG}`, `${origin}/file/${BIG}`],
      downloads('aioquic'),
      { ...place, caFile },
    );
    expect(small).toMatchObject(SMALL_EXPECTED);
    expect(bytes).toMatchObject(BIG_EXPECTED);
    expect(file).toMatchObject(BIG_EXPECTED);
    const [echo] = await aioquic([`${origin}/echo`], downloads('aioquic-echo'), {
      ...place,
      caFile,
      postFile,
    });
    expect(echo).toMatchObject(postExpected());
  });

  it('libcurl (curl_cffi): the same transfers', async () => {
    const { origin, postFile } = target();
    const out = downloads('curl');
    expect(await curlH3(`${origin}/`, join(out, 'small'), { ...place, caFile })).toMatchObject(
      SMALL_EXPECTED,
    );
    expect(await curlH3(`${origin}/bytes/${BIG}`, join(out, 'bytes'), { ...place, caFile })).toMatchObject(
      BIG_EXPECTED,
    );
    expect(await curlH3(`${origin}/file/${BIG}`, join(out, 'file'), { ...place, caFile })).toMatchObject(
      BIG_EXPECTED,
    );
    expect(await curlH3(`${origin}/echo`, join(out, 'echo'), { ...place, caFile, postFile })).toMatchObject(
      postExpected(),
    );
  });
}

/** A scratch folder with the 10 MiB file and the POST body; removed by `remove`. */
function scratch(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const post = postBody(POST);
  const postFile = join(dir, 'post.txt');
  const bigFile = join(dir, 'big.bin');
  writeGeneratedFile(bigFile, BIG);
  writeFileSync(postFile, post);
  return { dir, post, postFile, bigFile, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

describe.skipIf(unavailable !== undefined)(
  `HTTP/3 with tc netem (${NETEM.join(' ')}) in a network namespace${unavailable ? ` — SKIPPED: ${unavailable}` : ''}`,
  { timeout: 600_000 },
  () => {
    const namespace = `zephyr-h3-loss-${process.pid}`;
    let files: ReturnType<typeof scratch>;
    let server: ServerProcess;
    let origin = '';

    beforeAll(async () => {
      h3Tools();
      files = scratch('zephyr-h3-netem-');
      impairedNamespace(namespace);
      server = await startH3Process({
        host: '127.0.0.1',
        tls: localhostCertificate(),
        file: files.bigFile,
        prefix: ['ip', 'netns', 'exec', namespace],
      });
      origin = `https://127.0.0.1:${server.port}`;
    }, 60_000);
    afterAll(() => {
      server?.stop();
      removeNamespace(namespace);
      files?.remove();
    });

    transfers(() => ({ origin, ...files }), { netns: namespace, timeoutMs: 300_000 });

    it('the server lived through it', () => {
      expect(server.alive(), server.output()).toBe(true);
    });
  },
);

describe(`HTTP/3 through a UDP relay dropping ${RELAY.loss * 100}% and reordering ${RELAY.reorder * 100}% each way`, {
  timeout: 600_000,
}, () => {
  let files: ReturnType<typeof scratch>;
  let server: ServerProcess;
  let relay: LossyRelay;

  beforeAll(async () => {
    h3Tools();
    files = scratch('zephyr-h3-relay-');
    server = await startH3Process({ host: '127.0.0.1', tls: localhostCertificate(), file: files.bigFile });
    relay = await startLossyRelay(server.port, RELAY);
  }, 60_000);
  afterAll(() => {
    relay?.close();
    server?.stop();
    files?.remove();
  });

  transfers(() => ({ origin: `https://127.0.0.1:${relay.port}`, ...files }), { timeoutMs: 300_000 });

  it('the relay really dropped and reordered, and the server lived through it', () => {
    const { forwarded, dropped, reordered } = relay.stats;
    console.log(`relay: ${forwarded} datagrams forwarded (${reordered} held back), ${dropped} dropped`);
    // 3 clients x ~21 MiB: tens of thousands of datagrams, so 5% and 10% are hundreds at least.
    expect(dropped).toBeGreaterThan(500);
    expect(reordered).toBeGreaterThan(1000);
    expect(server.alive(), server.output()).toBe(true);
  });
});
