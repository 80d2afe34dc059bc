// HTTPS on both engines (rustls on the ring, node:https on the node engine), driven by real
// clients (Node's https, undici, curl, openssl s_client) and by hostile ones (plain HTTP, a
// truncated or stalled handshake, garbage, renegotiation), each counted and leaving no
// descriptor behind; certificate reload; and the TLS options' validation.

import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Agent, fetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EngineName, EngineServer } from '../src/engine.js';
import { listen } from '../src/listen.js';
import type { TlsCounters } from '../src/tls-counters.js';
import { resolveTlsOptions, type TlsOptions } from '../src/tls-options.js';
import { ENGINES } from './conformance/harness.js';
import { TestCertificates } from './tls-fixture.js';

let certificates: TestCertificates;
const path = (name: string): string => certificates.path(name);
const makeCertificate = (stem: string, cn: string, san: string) => certificates.make(stem, cn, san);

beforeAll(() => {
  certificates = new TestCertificates();
  makeCertificate('localhost', 'localhost', 'DNS:localhost,IP:127.0.0.1');
  makeCertificate('a', 'a.example.com', 'DNS:a.example.com');
  makeCertificate('other', 'localhost', 'DNS:localhost');
  // The README example's files.
  makeCertificate('cert', 'localhost', 'DNS:localhost,IP:127.0.0.1');
  makeCertificate('api', 'api.example.com', 'DNS:api.example.com');
  // Reload tests: certificates for the same name with other subjects.
  makeCertificate('renewed', 'renewed.localhost', 'DNS:localhost,IP:127.0.0.1');
  makeCertificate('other2', 'other2.localhost', 'DNS:localhost,IP:127.0.0.1');
  copyFileSync(path('cert.key'), path('key.pem'));
});
afterAll(() => certificates.remove());

let servers: EngineServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close({ timeoutMs: 1000 })));
  servers = [];
});

async function serveTls(engine: EngineName, tls: Partial<TlsOptions> = {}): Promise<EngineServer> {
  const server = await listen(
    {
      port: 0,
      engine,
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

describe.each(ENGINES)('HTTPS on the %s engine with real clients', (engine) => {
  it('serves node:https with the test certificate trusted', async () => {
    const server = await serveTls(engine);
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
    const server = await serveTls(engine);
    const dispatcher = new Agent({ connect: { ca: readFileSync(path('localhost.pem')) } });
    const res = await fetch(`https://localhost:${server.port}/u`, { dispatcher });
    expect(await res.text()).toBe('secure GET /u');
    await dispatcher.close();
  });

  it('serves curl, trusting the test CA and with -k', async () => {
    const server = await serveTls(engine);
    const url = `https://localhost:${server.port}/curl`;
    const trusted = await run('curl', ['-sS', '--cacert', path('localhost.pem'), url]);
    expect(trusted).toEqual({ code: 0, out: 'secure GET /curl' });
    const insecure = await run('curl', ['-sS', '-k', '-w', ' %{http_version}', url]);
    expect(insecure.out).toBe('secure GET /curl 1.1');
  });

  it('negotiates TLS 1.3 and 1.2 with ALPN http/1.1 for openssl s_client, and nothing older', async () => {
    const server = await serveTls(engine);
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
    const server = await serveTls(engine, { minVersion: 'TLSv1.3' });
    const base = ['s_client', '-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost'];
    expect((await run('openssl', [...base, '-tls1_2'], 'Q\n')).code).not.toBe(0);
    expect((await run('openssl', [...base, '-tls1_3'], 'Q\n')).out).toMatch(/New, TLSv1\.3, Cipher is TLS_/);
  });

  it('picks the certificate by SNI, with the default for other names', async () => {
    const server = await serveTls(engine, {
      sni: { 'a.example.com': { cert: path('a.pem'), key: path('a.key') } },
    });
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

describe.each(ENGINES)('hostile TLS clients on the %s engine', (engine) => {
  /** Waits (bounded) for a counter to reach `count`: the server counts after the close. */
  async function counted(server: EngineServer, kind: keyof TlsCounters, count = 1): Promise<void> {
    const deadline = Date.now() + 5000;
    while ((server.tlsCounters()?.[kind] ?? 0) < count && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(server.tlsCounters()?.[kind]).toBe(count);
  }

  it('closes a plaintext HTTP request to the TLS port, counts it and keeps serving', async () => {
    const server = await serveTls(engine);
    const fds = readdirSync('/proc/self/fd').length;
    const socket = netConnect(server.port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nhost: localhost\r\n\r\n');
    let reply = '';
    socket.on('data', (chunk) => (reply += chunk.toString('latin1')));
    await closedWithin(socket, 5000);
    expect(reply).not.toContain('secure GET');
    await counted(server, 'plaintextHttp');
    const after = await run('curl', ['-sS', '-k', `https://localhost:${server.port}/after`]);
    expect(after.out).toBe('secure GET /after');
    await descriptorsBackTo(fds);
  });

  it('closes a truncated handshake and counts it', async () => {
    const server = await serveTls(engine);
    const fds = readdirSync('/proc/self/fd').length;
    const socket = netConnect(server.port, '127.0.0.1');
    // A ClientHello record header announcing 512 bytes, then half of nothing, then EOF.
    socket.end(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
    await closedWithin(socket, 5000);
    await counted(server, 'truncatedHandshake');
    await descriptorsBackTo(fds);
  });

  it('closes a handshake that stalls past handshakeTimeoutMs and counts it', async () => {
    const server = await serveTls(engine, { handshakeTimeoutMs: 300 });
    const fds = readdirSync('/proc/self/fd').length;
    const socket = netConnect(server.port, '127.0.0.1');
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    const started = Date.now();
    await closedWithin(socket, 8000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await counted(server, 'handshakeTimeout');
    await descriptorsBackTo(fds);
  });

  it('closes garbage records and counts them', async () => {
    const server = await serveTls(engine);
    const fds = readdirSync('/proc/self/fd').length;
    const socket = netConnect(server.port, '127.0.0.1');
    socket.write(Buffer.alloc(600, 0x16));
    await closedWithin(socket, 5000);
    const counters = server.tlsCounters();
    expect((counters?.garbageRecord ?? 0) + (counters?.notTls ?? 0)).toBeGreaterThanOrEqual(1);
    await descriptorsBackTo(fds);
  });

  it('refuses a TLS 1.2 renegotiation and keeps serving', async () => {
    const server = await serveTls(engine);
    const fds = readdirSync('/proc/self/fd').length;
    // s_client renegotiates on a line "R"; the server must not renegotiate (no second handshake).
    const out = await run(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost', '-tls1_2'],
      'R\n',
    );
    expect(out.out).toMatch(/New, TLSv1\.2/);
    expect(server.tlsCounters()?.handshakes).toBe(1);
    await counted(server, 'renegotiation');
    const after = await run('curl', ['-sS', '-k', `https://localhost:${server.port}/after`]);
    expect(after.out).toBe('secure GET /after');
    await descriptorsBackTo(fds);
  });
});

describe.each(ENGINES)('certificate reload on the %s engine', (engine) => {
  /** The CN of the certificate a new handshake gets. */
  const subject = (port: number) =>
    new Promise<string>((resolve, reject) => {
      const socket = tlsConnect(
        { host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false },
        () => {
          resolve(String(socket.getPeerCertificate().subject.CN));
          socket.end();
        },
      );
      socket.on('error', reject);
    });

  it('swaps certificates by API and on SIGHUP without dropping an open connection', async () => {
    const live = path(`live-${engine}`);
    copyFileSync(path('localhost.pem'), `${live}.pem`);
    copyFileSync(path('localhost.key'), `${live}.key`);
    const server = await listen(
      { port: 0, engine, tls: { cert: `${live}.pem`, key: `${live}.key` } },
      (req, res) => res.end(`secure ${req.path}`),
    );
    servers.push(server);
    const dispatcher = new Agent({ connect: { rejectUnauthorized: false }, pipelining: 1 });
    const get = async (p: string) =>
      (await fetch(`https://localhost:${server.port}${p}`, { dispatcher })).text();
    expect(await get('/before')).toBe('secure /before');
    expect(await subject(server.port)).toBe('localhost');

    // By API, with new options.
    await server.reloadTls({ cert: path('renewed.pem'), key: path('renewed.key') });
    expect(await subject(server.port)).toBe('renewed.localhost');
    // A bad certificate is refused and the one in force stays.
    await expect(server.reloadTls({ cert: path('renewed.pem'), key: path('a.key') })).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_INVALID_ARGUMENT',
    });
    expect(await subject(server.port)).toBe('renewed.localhost');

    // On SIGHUP: the listener's files are read again (here: renewed on disk in place).
    await server.reloadTls({ cert: `${live}.pem`, key: `${live}.key` });
    copyFileSync(path('other2.pem'), `${live}.pem`);
    copyFileSync(path('other2.key'), `${live}.key`);
    process.kill(process.pid, 'SIGHUP');
    const deadline = Date.now() + 5000;
    while ((await subject(server.port)) !== 'other2.localhost' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await subject(server.port)).toBe('other2.localhost');

    // The keep-alive connection opened before every reload still serves.
    expect(await get('/after')).toBe('secure /after');
    await dispatcher.close();
  });

  it('applies a reloaded ALPN list and handshake timeout to new handshakes', async () => {
    const server = await serveTls(engine, { alpn: ['http/1.1'], handshakeTimeoutMs: 10_000 });
    const negotiated = () =>
      new Promise<string | false>((resolve, reject) => {
        const socket = tlsConnect(
          {
            host: '127.0.0.1',
            port: server.port,
            servername: 'localhost',
            rejectUnauthorized: false,
            ALPNProtocols: ['x-zephyr-test', 'http/1.1'],
          },
          () => {
            resolve(socket.alpnProtocol ?? false);
            socket.end();
          },
        );
        socket.on('error', reject);
      });
    /** How long a handshake that never finishes is left open (bounded by `ms`). */
    const stalledFor = async (ms: number): Promise<number> => {
      const socket = netConnect(server.port, '127.0.0.1');
      socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
      const started = Date.now();
      await closedWithin(socket, ms).catch(() => socket.destroy());
      return Date.now() - started;
    };
    expect(await negotiated()).toBe('http/1.1');
    expect(await stalledFor(1500)).toBeGreaterThanOrEqual(1500);

    await server.reloadTls({
      cert: path('localhost.pem'),
      key: path('localhost.key'),
      alpn: ['x-zephyr-test', 'http/1.1'],
      handshakeTimeoutMs: 300,
    });
    expect(await negotiated()).toBe('x-zephyr-test');
    const waited = await stalledFor(8000);
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(8000);
  });

  it('is refused on a plaintext listener', async () => {
    const server = await listen({ port: 0, engine }, (_req, res) => res.end('plain'));
    servers.push(server);
    await expect(server.reloadTls()).rejects.toMatchObject({ code: 'ZEPHYR_ERR_UNSUPPORTED_OPTION' });
    expect(server.tlsCounters()).toBeUndefined();
  });
});

describe('kernel TLS', () => {
  it('is used where the kernel has the tls ULP, else falls back to user space with one line saying why; serves either way', async () => {
    const dist = new URL('../dist/index.js', import.meta.url).href;
    // Two listeners asking for it: the reason is worth one line per process, not one per listener.
    const script = `
      import { listen } from ${JSON.stringify(dist)};
      const tls = { cert: ${JSON.stringify(path('localhost.pem'))}, key: ${JSON.stringify(path('localhost.key'))}, kernelTls: true };
      const a = await listen({ port: 0, engine: 'io_uring', tls }, (req, res) => res.end('a'));
      const b = await listen({ port: 0, engine: 'io_uring', tls }, (req, res) => res.end('b'));
      const dispatcher = new (await import('undici')).Agent({ connect: { rejectUnauthorized: false } });
      const body = await (await fetch('https://127.0.0.1:' + a.port + '/', { dispatcher })).text();
      console.log(body, JSON.stringify(a.tlsCounters()));
      await a.close(); await b.close(); await dispatcher.close();`;
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { timeout: 20_000 },
        (err, out, errOut) =>
          err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve({ stdout: out, stderr: errOut }),
      );
    });
    expect(stdout).toMatch(/^a \{"handshakes":1,/);
    const lines = stderr.split('\n').filter((line) => line.includes('kernel TLS'));
    if (existsSync('/proc/net/tls_stat')) {
      // The kernel has the tls module: the sessions went to it, and there is nothing to explain.
      expect(lines).toEqual([]);
    } else {
      expect(lines).toHaveLength(1);
      console.log(`kernel TLS offload did not run here: ${lines[0]}`);
      expect(lines[0]).toMatch(
        /kernel TLS unavailable: setsockopt\(TCP_ULP, "tls"\) failed: .*no tls module/,
      );
    }
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
        {
          cwd: certificates.dir,
          env: { ...process.env, NODE_EXTRA_CA_CERTS: path('cert.pem') },
          timeout: 20_000,
        },
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

  it('makes auto serve TLS on io_uring (rustls) where the probe sets up a ring', async () => {
    const server = await listen({ port: 0, tls: valid() as TlsOptions }, (_req, res) => res.end('ok'));
    servers.push(server);
    expect(server.engine).toBe(process.env.ZEPHYR_IO_ENGINE === 'node' ? 'node' : 'io_uring');
    const out = await run('curl', ['-sS', '-k', `https://127.0.0.1:${server.port}/`]);
    expect(out.out).toBe('ok');
  });
});
