// HTTP/3 on the io_uring engine over a bad network: the test makes its own network namespace,
// puts `tc netem` on its loopback (5% loss, 5 ms ± 2 ms delay, 10% of packets reordered, both
// directions), runs the server and the three real clients inside it, and repeats the interop
// transfers: a small response, 10 MiB streamed, 10 MiB by sendFile, a 1 MiB POST echoed, every
// body compared by SHA-256. Where namespaces or netem are unavailable (no root, no `tc`, a
// kernel without the netem qdisc) the whole block is skipped, and the reason is printed and is
// part of the skipped block's name.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generated, postBody, writeGeneratedFile } from './fixtures/h3-app.mjs';
import { aioquic, curlH3, gtlsclient, h3Tools, sha256 } from './h3-clients.js';
import { type ServerProcess, startH3Process } from './h3-server-process.js';
import { localhostCertificate } from './tls-fixture.js';

/** The impairment, on the namespace's loopback (so on both directions of every exchange). */
const NETEM = ['delay', '5ms', '2ms', 'loss', '5%', 'reorder', '10%', '50%'];
const BIG = 10 << 20;
const POST = 1 << 20;
const SMALL = Buffer.from('Hello, World!');

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

describe.skipIf(unavailable !== undefined)(
  `HTTP/3 with tc netem (${NETEM.join(' ')}) in a network namespace${unavailable ? ` — SKIPPED: ${unavailable}` : ''}`,
  { timeout: 600_000 },
  () => {
    const namespace = `zephyr-h3-loss-${process.pid}`;
    const certificate = localhostCertificate();
    const dir = mkdtempSync(join(tmpdir(), 'zephyr-h3-loss-'));
    const bigFile = join(dir, 'big.bin');
    const postFile = join(dir, 'post.txt');
    const post = postBody(POST);
    const expected = {
      small: { status: 200, bytes: SMALL.length, sha256: sha256(SMALL) },
      big: { status: 200, bytes: BIG, sha256: sha256(generated(BIG)) },
      post: { status: 200, bytes: POST, sha256: sha256(post) },
    };
    const place = { netns: namespace, timeoutMs: 300_000 };
    let server: ServerProcess;
    let origin = '';
    const downloads = (name: string) => {
      const path = join(dir, name);
      mkdirSync(path, { recursive: true });
      return path;
    };

    beforeAll(async () => {
      h3Tools();
      writeGeneratedFile(bigFile, BIG);
      writeFileSync(postFile, post);
      impairedNamespace(namespace);
      server = await startH3Process({
        host: '127.0.0.1',
        tls: certificate,
        file: bigFile,
        prefix: ['ip', 'netns', 'exec', namespace],
      });
      origin = `https://127.0.0.1:${server.port}`;
    }, 60_000);
    afterAll(() => {
      server?.stop();
      removeNamespace(namespace);
      rmSync(dir, { recursive: true, force: true });
    });

    it("ngtcp2's gtlsclient: small, 10 MiB streamed, 10 MiB sendFile, 1 MiB POST", async () => {
      expect(await gtlsclient(`${origin}/`, downloads('gtls-small'), place)).toMatchObject(expected.small);
      expect(await gtlsclient(`${origin}/bytes/${BIG}`, downloads('gtls-bytes'), place)).toMatchObject(
        expected.big,
      );
      expect(await gtlsclient(`${origin}/file/${BIG}`, downloads('gtls-file'), place)).toMatchObject(
        expected.big,
      );
      expect(
        await gtlsclient(`${origin}/echo`, downloads('gtls-echo'), { ...place, postFile }),
      ).toMatchObject(expected.post);
    });

    it("aioquic's example client: the same transfers", async () => {
      const caFile = certificate.cert;
      const [small, bytes, file] = await aioquic(
        [`${origin}/`, `${origin}/bytes/${BIG}`, `${origin}/file/${BIG}`],
        downloads('aioquic'),
        { ...place, caFile },
      );
      expect(small).toMatchObject(expected.small);
      expect(bytes).toMatchObject(expected.big);
      expect(file).toMatchObject(expected.big);
      const [echo] = await aioquic([`${origin}/echo`], downloads('aioquic-echo'), {
        ...place,
        caFile,
        postFile,
      });
      expect(echo).toMatchObject(expected.post);
    });

    it('libcurl (curl_cffi): the same transfers', async () => {
      const out = downloads('curl');
      const caFile = certificate.cert;
      expect(await curlH3(`${origin}/`, join(out, 'small'), { ...place, caFile })).toMatchObject(
        expected.small,
      );
      expect(await curlH3(`${origin}/bytes/${BIG}`, join(out, 'bytes'), { ...place, caFile })).toMatchObject(
        expected.big,
      );
      expect(await curlH3(`${origin}/file/${BIG}`, join(out, 'file'), { ...place, caFile })).toMatchObject(
        expected.big,
      );
      expect(await curlH3(`${origin}/echo`, join(out, 'echo'), { ...place, caFile, postFile })).toMatchObject(
        expected.post,
      );
      expect(server.alive(), server.output()).toBe(true);
    });
  },
);
