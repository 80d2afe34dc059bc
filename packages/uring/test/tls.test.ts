// HTTPS on the node engine through node:https, driven by real clients (Node's https, undici,
// curl, openssl s_client) and by hostile ones (plain HTTP, a truncated or stalled handshake);
// the TLS options' validation; and the io_uring engine refusing TLS until its transport is wired.

import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { Agent, fetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EngineServer } from '../src/engine.js';
import { listen } from '../src/listen.js';
import { resolveTlsOptions, type TlsOptions } from '../src/tls-options.js';

let dir = '';
const path = (name: string): string => join(dir, name);

function makeCertificate(stem: string, cn: string, san: string): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      path(`${stem}.key`),
      '-out',
      path(`${stem}.pem`),
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      `subjectAltName=${san}`,
    ],
    { stdio: 'ignore' },
  );
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'zephyr-tls-'));
  makeCertificate('localhost', 'localhost', 'DNS:localhost,IP:127.0.0.1');
  makeCertificate('a', 'a.example.com', 'DNS:a.example.com');
  makeCertificate('other', 'localhost', 'DNS:localhost');
  // The README example's files.
  makeCertificate('cert', 'localhost', 'DNS:localhost,IP:127.0.0.1');
  makeCertificate('api', 'api.example.com', 'DNS:api.example.com');
  copyFileSync(path('cert.key'), path('key.pem'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let servers: EngineServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close({ timeoutMs: 1000 })));
  servers = [];
});

async function serveTls(tls: Partial<TlsOptions> = {}): Promise<EngineServer> {
  const server = await listen(
    {
      port: 0,
      engine: 'node',
      tls: { cert: path('localhost.pem'), key: path('localhost.key'), ...tls } as TlsOptions,
    },
    (req, res) => {
      res.setHeader('content-type', 'text/plain').end(`secure ${req.method} ${req.path}`);
    },
  );
  servers.push(server);
  return server;
}

function run(command: string, args: string[], input = ''): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
    child.stdin?.end(input);
  });
}

/** Resolves when the server closes the connection; rejects if it is still open after `ms`. */
function closedWithin(socket: import('node:net').Socket, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms);
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.resume();
  });
}

describe('HTTPS on the node engine with real clients', () => {
  it('serves node:https with the test certificate trusted', async () => {
    const server = await serveTls();
    const body = await new Promise<string>((resolve, reject) => {
      get(
        {
          host: '127.0.0.1',
          port: server.port,
          path: '/hello',
          ca: readFileSync(path('localhost.pem')),
          servername: 'localhost',
        },
        (res) => {
          let text = '';
          res
            .setEncoding('utf8')
            .on('data', (chunk) => (text += chunk))
            .on('end', () => resolve(text));
        },
      ).on('error', reject);
    });
    expect(body).toBe('secure GET /hello');
  });

  it('serves undici fetch, negotiating http/1.1 by ALPN', async () => {
    const server = await serveTls();
    const dispatcher = new Agent({ connect: { ca: readFileSync(path('localhost.pem')) } });
    const res = await fetch(`https://localhost:${server.port}/u`, { dispatcher });
    expect(await res.text()).toBe('secure GET /u');
    await dispatcher.close();
  });

  it('serves curl, trusting the test CA and with -k', async () => {
    const server = await serveTls();
    const url = `https://localhost:${server.port}/curl`;
    const trusted = await run('curl', ['-sS', '--cacert', path('localhost.pem'), url]);
    expect(trusted).toEqual({ code: 0, out: 'secure GET /curl' });
    const insecure = await run('curl', ['-sS', '-k', '-w', ' %{http_version}', url]);
    expect(insecure.out).toBe('secure GET /curl 1.1');
  });

  it('negotiates TLS 1.3 and 1.2 with ALPN http/1.1 for openssl s_client, and nothing older', async () => {
    const server = await serveTls();
    const connect = [
      's_client',
      '-connect',
      `127.0.0.1:${server.port}`,
      '-servername',
      'localhost',
      '-alpn',
      'http/1.1',
    ];
    const tls13 = await run('openssl', connect, 'Q\n');
    expect(tls13.out).toMatch(/New, TLSv1\.3, Cipher is TLS_/);
    expect(tls13.out).toContain('ALPN protocol: http/1.1');
    const tls12 = await run('openssl', [...connect, '-tls1_2'], 'Q\n');
    expect(tls12.out).toMatch(/New, TLSv1\.2, Cipher is ECDHE-ECDSA-(AES\d+-GCM|CHACHA20)/);
    // A TLS 1.2 client offering only CBC suites finds nothing in common.
    const cbc = await run('openssl', [...connect, '-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-SHA256'], 'Q\n');
    expect(cbc.code).not.toBe(0);
    const tls11 = await run('openssl', [...connect, '-tls1_1'], 'Q\n');
    expect(tls11.code).not.toBe(0);
  });

  it('refuses TLS 1.2 when minVersion is TLSv1.3', async () => {
    const server = await serveTls({ minVersion: 'TLSv1.3' });
    const base = ['s_client', '-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost'];
    expect((await run('openssl', [...base, '-tls1_2'], 'Q\n')).code).not.toBe(0);
    expect((await run('openssl', [...base, '-tls1_3'], 'Q\n')).out).toMatch(/New, TLSv1\.3, Cipher is TLS_/);
  });

  it('picks the certificate by SNI, with the default for other names', async () => {
    const server = await serveTls({ sni: { 'a.example.com': { cert: path('a.pem'), key: path('a.key') } } });
    const subjectFor = (servername: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = tlsConnect(
          { host: '127.0.0.1', port: server.port, servername, rejectUnauthorized: false },
          () => {
            resolve(String(socket.getPeerCertificate().subject.CN));
            socket.end();
          },
        );
        socket.on('error', reject);
      });
    expect(await subjectFor('a.example.com')).toBe('a.example.com');
    expect(await subjectFor('A.Example.com')).toBe('a.example.com');
    expect(await subjectFor('localhost')).toBe('localhost');
    expect(await subjectFor('b.example.com')).toBe('localhost');
  });
});

/** Waits until this process holds no more descriptors than `before` (server and client sides). */
async function descriptorsBackTo(before: number): Promise<void> {
  const deadline = Date.now() + 5000;
  let now = readdirSync('/proc/self/fd').length;
  while (now > before && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    now = readdirSync('/proc/self/fd').length;
  }
  expect(now).toBeLessThanOrEqual(before);
}

describe('hostile TLS clients on the node engine', () => {
  it('closes a plaintext HTTP request to the TLS port and keeps serving', async () => {
    const server = await serveTls();
    const fds = readdirSync('/proc/self/fd').length;
    const socket = netConnect(server.port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nhost: localhost\r\n\r\n');
    let reply = '';
    socket.on('data', (chunk) => (reply += chunk.toString('latin1')));
    await closedWithin(socket, 5000);
    expect(reply).not.toContain('secure GET');
    const after = await run('curl', ['-sS', '-k', `https://localhost:${server.port}/after`]);
    expect(after.out).toBe('secure GET /after');
    await descriptorsBackTo(fds);
  });

  it('closes a truncated handshake', async () => {
    const server = await serveTls();
    const fds = readdirSync('/proc/self/fd').length;
    const socket = netConnect(server.port, '127.0.0.1');
    // A ClientHello record header announcing 512 bytes, then half of nothing, then EOF.
    socket.end(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
    await closedWithin(socket, 5000);
    await descriptorsBackTo(fds);
  });

  it('closes a handshake that stalls past handshakeTimeoutMs', async () => {
    const server = await serveTls({ handshakeTimeoutMs: 300 });
    const fds = readdirSync('/proc/self/fd').length;
    const socket = netConnect(server.port, '127.0.0.1');
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    const started = Date.now();
    await closedWithin(socket, 8000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await descriptorsBackTo(fds);
  });

  it('closes garbage records', async () => {
    const server = await serveTls();
    const fds = readdirSync('/proc/self/fd').length;
    const socket = netConnect(server.port, '127.0.0.1');
    socket.write(Buffer.alloc(600, 0x16));
    await closedWithin(socket, 5000);
    await descriptorsBackTo(fds);
  });
});

describe('README', () => {
  it('runs the HTTPS example as written and prints what its comment says', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = /## HTTPS\n[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const dist = new URL('../dist/index.js', import.meta.url).href;
    const script = (example ?? '').replace("from '@zephyr/uring'", `from ${JSON.stringify(dist)}`);
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        // The example's fetch trusts the test certificate the way a deployment trusts its CA.
        { cwd: dir, env: { ...process.env, NODE_EXTRA_CA_CERTS: path('cert.pem') }, timeout: 20_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    expect(out.trim()).toBe('secure /hello');
  });
});

describe('TLS options', () => {
  const valid = (): Record<string, unknown> => ({ cert: path('localhost.pem'), key: path('localhost.key') });
  const rejects = (options: unknown, message: RegExp) => {
    let caught: unknown;
    try {
      resolveTlsOptions(options);
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'ZEPHYR_ERR_INVALID_ARGUMENT' });
    expect((caught as Error).message).toMatch(message);
  };

  it('fills in the defaults', () => {
    const tls = resolveTlsOptions(valid());
    expect(tls.alpn).toEqual(['http/1.1']);
    expect(tls.minVersion).toBe('TLSv1.2');
    expect(tls.handshakeTimeoutMs).toBe(10_000);
    expect(tls.sni).toEqual([]);
  });

  it('accepts PEM text as well as paths', () => {
    const tls = resolveTlsOptions({
      certPem: readFileSync(path('localhost.pem'), 'utf8'),
      keyPem: readFileSync(path('localhost.key')),
    });
    expect(tls.cert.toString()).toContain('BEGIN CERTIFICATE');
  });

  it('names a missing file, bad PEM and a key that is not the certificate’s', () => {
    rejects({ cert: path('missing.pem'), key: path('localhost.key') }, /cannot read .*missing\.pem/);
    writeFileSync(path('garbage.pem'), 'not pem at all');
    rejects({ cert: path('garbage.pem'), key: path('localhost.key') }, /tls\.cert: no usable certificate/);
    rejects({ cert: path('localhost.pem'), key: path('garbage.pem') }, /tls\.key: no usable private key/);
    rejects({ cert: path('localhost.pem'), key: path('a.key') }, /does not match the certificate/);
    rejects({ cert: path('localhost.pem') }, /tls\.key must be a file path/);
    rejects({ ...valid(), certPem: 'x' }, /not both/);
  });

  it('checks SNI names, ALPN lists, minVersion, the handshake timeout and unknown keys', () => {
    for (const name of ['', '*.', 'bad name', '127.0.0.1', '-x.example.com']) {
      rejects({ ...valid(), sni: { [name]: valid() } }, /invalid server name/);
    }
    rejects({ ...valid(), sni: { 'A.example.com': valid(), 'a.example.com': valid() } }, /listed twice/);
    rejects(
      { ...valid(), sni: { 'a.example.com': { cert: path('a.pem'), key: path('localhost.key') } } },
      /does not match/,
    );
    rejects({ ...valid(), alpn: [] }, /non-empty array/);
    rejects({ ...valid(), alpn: ['h2', 'h2'] }, /listed twice/);
    rejects({ ...valid(), alpn: ['x'.repeat(256)] }, /1 to 255 bytes/);
    rejects({ ...valid(), minVersion: 'TLSv1.1' }, /minVersion/);
    rejects({ ...valid(), handshakeTimeoutMs: 0 }, /handshakeTimeoutMs/);
    rejects({ ...valid(), handshakeTimeoutMs: 1.5 }, /handshakeTimeoutMs/);
    rejects({ ...valid(), ciphers: 'ALL' }, /unknown TLS option tls\.ciphers/);
    rejects('cert.pem', /tls must be an object/);
  });

  it('is refused by the io_uring engine until its TLS transport is wired, not served as plaintext', async () => {
    const options = { port: 0, engine: 'io_uring' as const, tls: valid() as TlsOptions };
    await expect(listen(options, () => {})).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_UNSUPPORTED_OPTION',
      message: expect.stringMatching(/io_uring engine.*TLS|tls is not served by the io_uring engine/),
    });
  });

  it('is refused when ZEPHYR_IO_ENGINE forces io_uring, too', async () => {
    const saved = process.env.ZEPHYR_IO_ENGINE;
    process.env.ZEPHYR_IO_ENGINE = 'io_uring';
    try {
      await expect(listen({ port: 0, tls: valid() as TlsOptions }, () => {})).rejects.toMatchObject({
        code: 'ZEPHYR_ERR_UNSUPPORTED_OPTION',
      });
    } finally {
      if (saved === undefined) delete process.env.ZEPHYR_IO_ENGINE;
      else process.env.ZEPHYR_IO_ENGINE = saved;
    }
  });

  it('makes auto serve TLS with node:https and say why', async () => {
    const server = await listen({ port: 0, tls: valid() as TlsOptions }, (_req, res) => res.end('ok'));
    servers.push(server);
    expect(server.engine).toBe('node');
    expect(server.engineReason).toMatch(/tls|node engine was forced|io_uring unavailable/);
    const out = await run('curl', ['-sS', '-k', `https://127.0.0.1:${server.port}/`]);
    expect(out.out).toBe('ok');
  });
});
