// Real HTTP/2 clients against every engine that serves HTTP/2: curl (--http2 over TLS, and
// --http2-prior-knowledge) and nghttp (Debian nghttp2-client; scripts/h2-tools.sh installs it).
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineServer } from '../src/index.js';
import { listen } from '../src/index.js';
import { H2_ENGINES, h2App, makeCertificate } from './h2-support.js';

const certificate = makeCertificate();
afterAll(() => rmSync(certificate.dir, { recursive: true, force: true }));

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 20_000, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe.each(H2_ENGINES)('%s engine: real HTTP/2 clients', { timeout: 30_000 }, (engine) => {
  let plain: EngineServer;
  let secure: EngineServer;
  beforeAll(async () => {
    plain = await listen({ port: 0, engine, http2: true }, h2App);
    secure = await listen(
      { port: 0, engine, http2: true, tls: { cert: certificate.cert, key: certificate.key } },
      h2App,
    );
  });
  afterAll(async () => {
    await plain.close({ timeoutMs: 1000 });
    await secure.close({ timeoutMs: 1000 });
  });

  it('curl --http2-prior-knowledge: GET and POST over h2c', async () => {
    const base = `http://127.0.0.1:${plain.port}`;
    expect(await run('curl', ['-sS', '--http2-prior-knowledge', '-w', ' %{http_version}', `${base}/`])).toBe(
      'Hello, World! 2',
    );
    const echoed = await run('curl', [
      '-sS',
      '--http2-prior-knowledge',
      '-D',
      '-',
      '--data-binary',
      'sent by curl',
      `${base}/echo`,
    ]);
    expect(echoed).toMatch(/^HTTP\/2 200/);
    expect(echoed).toMatch(/x-version: 2\.0/);
    expect(echoed).toMatch(/sent by curl$/);
  });

  it('curl --http2 over TLS negotiates h2 by ALPN; --http1.1 on the same port gets HTTP/1.1', async () => {
    const base = `https://127.0.0.1:${secure.port}`;
    expect(await run('curl', ['-sSk', '--http2', '-w', ' %{http_version}', `${base}/`])).toBe(
      'Hello, World! 2',
    );
    expect(await run('curl', ['-sSk', '--http1.1', '-w', ' %{http_version}', `${base}/`])).toBe(
      'Hello, World! 1.1',
    );
  });

  it('curl without prior knowledge speaks HTTP/1.1 on the h2c port', async () => {
    expect(await run('curl', ['-sS', '-w', ' %{http_version}', `http://127.0.0.1:${plain.port}/`])).toBe(
      'Hello, World! 1.1',
    );
  });

  it('nghttp: h2c and h2 over TLS, several streams on one connection', async () => {
    const overH2c = await run('nghttp', [
      '-n',
      '-s',
      `http://127.0.0.1:${plain.port}/`,
      `http://127.0.0.1:${plain.port}/big`,
    ]);
    // -s prints one statistics row per stream: both completed with 200.
    expect(overH2c.match(/ 200 /g)?.length).toBe(2);
    const overTls = await run('nghttp', ['-v', `https://127.0.0.1:${secure.port}/`]);
    expect(overTls).toMatch(/The negotiated protocol: h2/);
    expect(overTls).toMatch(/Hello, World!/);
    const body = join(certificate.dir, 'body.txt');
    writeFileSync(body, 'sent by nghttp');
    expect(await run('nghttp', ['-d', body, `http://127.0.0.1:${plain.port}/echo`])).toBe('sent by nghttp');
  });
});
