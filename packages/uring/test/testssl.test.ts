// Debian's testssl.sh against the io_uring engine's HTTPS listener (rustls on the ring): a
// bounded set of checks — protocols (-p), standard cipher categories (-s), forward secrecy (-f)
// and the known vulnerabilities (-U) — must find no weak protocol, cipher or vulnerability.
// scripts/testssl.sh installs testssl.sh when it is missing.

import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineServer } from '../src/engine.js';
import { listen } from '../src/listen.js';
import { TestCertificates } from './tls-fixture.js';

interface Finding {
  id: string;
  severity: string;
  finding: string;
}

let certificates: TestCertificates;
let server: EngineServer | undefined;
beforeAll(async () => {
  certificates = new TestCertificates();
  const { cert, key } = certificates.make('localhost', 'localhost', 'DNS:localhost,IP:127.0.0.1');
  server = await listen({ port: 0, host: '127.0.0.1', engine: 'io_uring', tls: { cert, key } }, (_req, res) =>
    res.setHeader('content-type', 'text/plain').end('hello'),
  );
});
afterAll(async () => {
  await server?.close({ timeoutMs: 1000 });
  certificates.remove();
});

describe('testssl.sh against the io_uring HTTPS listener', () => {
  it('finds TLS 1.2 and 1.3 only, strong suites with forward secrecy, and no known vulnerability', async () => {
    const script = new URL('../../../scripts/testssl.sh', import.meta.url).pathname;
    const testssl = execFileSync('bash', [script], { encoding: 'utf8' }).trim();
    const json = certificates.path('testssl.json');
    await new Promise<void>((resolve, reject) => {
      execFile(
        testssl,
        [
          '--quiet',
          '--color',
          '0',
          '--warnings',
          'off',
          '--jsonfile',
          json,
          '-p',
          '-s',
          '-f',
          '-U',
          `127.0.0.1:${server!.port}`,
        ],
        { timeout: 280_000, maxBuffer: 16 << 20 },
        // testssl's exit status counts findings of any severity; the JSON is what is judged.
        (err) => (err?.killed ? reject(err) : resolve()),
      );
    });
    const findings = JSON.parse(readFileSync(json, 'utf8')) as Finding[];
    const byId = new Map(findings.map((f) => [f.id, f]));
    const offered = (id: string) => byId.get(id)?.finding ?? '(missing)';
    for (const old of ['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1']) expect(offered(old), old).toMatch(/^not offered/);
    expect(offered('TLS1_2')).toMatch(/^offered/);
    expect(offered('TLS1_3')).toMatch(/^offered/);
    expect(offered('PFS')).toMatch(/^offered/);
    expect(offered('cipherlist_STRONG')).toMatch(/^offered/);
    // Every check of the four groups ran (a broken run must not pass as a clean one).
    for (const id of [
      'heartbleed',
      'CCS',
      'ROBOT',
      'secure_client_renego',
      'BREACH',
      'SWEET32',
      'LOGJAM',
      'cipherlist_NULL',
      'PFS',
    ])
      expect(byId.has(id), id).toBe(true);
    const weak = findings.filter((f) => ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'].includes(f.severity));
    // The whole finding in the failure message: testssl's id alone rarely says what it saw.
    expect(weak, JSON.stringify(weak, null, 2)).toEqual([]);
  }, 300_000);
});
