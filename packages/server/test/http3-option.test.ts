// `app.listen({ tls, http3 })` serves HTTP/3 on the io_uring engine with the app's routes (the
// request arrives with `httpVersion === '3'`, here through aioquic), and through the
// `server.http3` config section; it is refused at startup where it cannot be served: on the node
// engine, without tls, and under `workers` (in the primary before any worker is forked, so the
// caller gets the error, not a worker's stderr).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../../scripts/self-signed-cert.mjs';
import { createApp, listenOptionsFromConfig, serverConfigSchema } from '../src/index.js';

const CLIENT = fileURLToPath(new URL('../../uring/test/fixtures/h3-client.py', import.meta.url));
const PYTHON = join(join(homedir(), '.cache', 'zephyr', 'h3-venv'), 'bin', 'python');

let dir: string;
let cert: { cert: string; key: string };
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'zephyr-server-h3-'));
  cert = selfSignedCertificate({
    cert: join(dir, 'cert.pem'),
    key: join(dir, 'key.pem'),
    cn: 'localhost',
    san: 'DNS:localhost,IP:127.0.0.1',
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 30_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

describe('http3', () => {
  it('serves the app over HTTP/3 on the io_uring engine, Alt-Svc on its HTTPS responses', async () => {
    const app = createApp();
    app.get('/users/:id', (c) => c.json({ id: c.params.id, version: c.req.raw.httpVersion }));
    const options = listenOptionsFromConfig(
      serverConfigSchema.parse({ port: 0, io_engine: 'io_uring', tls: cert, http3: { enabled: true } }),
    );
    expect(options.http3).toMatchObject({ retry: 'auto', altSvcMaxAgeSec: 86_400 });
    const server = await app.listen({ ...options, workers: 1 });
    try {
      const plan = { port: server.port, ca: cert.cert, requests: [{ path: '/users/7' }] };
      const [line] = (await run(PYTHON, [CLIENT, JSON.stringify(plan)])).trim().split('\n');
      const result = JSON.parse(line as string) as { status: number; bytes: number };
      expect(result.status).toBe(200);
      expect(result.bytes).toBe(JSON.stringify({ id: '7', version: '3' }).length);
      const tcp = await run('curl', [
        '-sS',
        '--cacert',
        cert.cert,
        '-D',
        '-',
        '-o',
        '/dev/null',
        `https://localhost:${server.port}/users/7`,
      ]);
      expect(tcp).toContain(`alt-svc: h3=":${server.port}"; ma=86400`);
    } finally {
      await server.close();
    }
  });

  it('is refused on the node engine with the reason', async () => {
    await expect(
      createApp().listen({ port: 0, engine: 'node', tls: cert, http3: true }),
    ).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_HTTP3_UNAVAILABLE',
    });
  });

  it('is refused without tls', async () => {
    await expect(createApp().listen({ port: 0, engine: 'io_uring', http3: true })).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(/http3 needs tls/),
    });
  });

  it.each([
    ['node', 'ZEPHYR_ERR_HTTP3_UNAVAILABLE'],
    ['io_uring', 'ZEPHYR_ERR_INVALID_ARGUMENT'],
  ])('is refused in the primary under workers on the %s engine, before forking', async (engine, code) => {
    const dist = JSON.stringify(join(import.meta.dirname, '../dist/index.js'));
    const tls = JSON.stringify(cert);
    const script = `
      import cluster from 'node:cluster';
      import { createApp } from ${dist};
      let forks = 0;
      cluster.on('fork', () => forks++);
      try {
        await createApp().listen({ port: 0, engine: '${engine}', workers: 2, tls: ${tls}, http3: true });
        console.log('listening');
      } catch (err) {
        console.log(err.code, forks);
      }
      process.exit(0);`;
    expect(await run(process.execPath, ['--input-type=module', '-e', script])).toBe(`${code} 0\n`);
  });
});
