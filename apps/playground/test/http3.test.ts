// The playground serves HTTP/3 when configured (server.http3.enabled, here from the environment,
// with server.tls) on the io_uring engine, and a real browser uses it: headless Chromium, sent
// straight to QUIC with --origin-to-force-quic-on and trusting the test certificate by its SPKI
// hash, loads the playground's API docs page (HTML plus its scripts and styles); the page's own
// PerformanceNavigationTiming must say `h3`, as must every resource it loaded, and Chromium's
// net-log must hold HTTP3_HEADERS_RECEIVED. Without the flag, HTTPS responses advertise HTTP/3
// with `alt-svc: h3=":PORT"`. (Whether Chromium then switches is not checked: with a certificate
// it trusts only by flag, Chromium 156 stayed on TCP over six reloads here, with and without
// --enable-quic, so such a check could only be skipped or flaky.) The app is unchanged: HTTP/3
// is configuration.
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../../scripts/self-signed-cert.mjs';
import { type RunningPlayground, startPlayground } from './support/start-playground.js';

/** Base64 SHA-256 of the certificate's SubjectPublicKeyInfo: what Chromium's SPKI allow-list takes. */
function spkiSha256(certFile: string): string {
  const spki = new X509Certificate(readFileSync(certFile)).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** Starts the playground over TLS with HTTP/3 on; resolves its port once it says it listens. */
function startHttp3Playground(env: Record<string, string>): Promise<RunningPlayground> {
  return startPlayground(
    { ZEPHYR_IO_ENGINE: 'io_uring', ZEPHYR_SERVER__HTTP3__ENABLED: 'true', ...env },
    (output) => {
      const match =
        /listening on https:\/\/\S+:(\d+)\/ \(engine: io_uring\) \+ HTTP\/3 on UDP port (\d+)/.exec(output);
      if (!match) return undefined;
      expect(match[2]).toBe(match[1]);
      return Number(match[1]);
    },
  );
}

/** Event types in a Chromium net-log, by name (the log refers to them by number). */
function netLogEventNames(file: string): string[] {
  const log = JSON.parse(readFileSync(file, 'utf8')) as {
    constants: { logEventTypes: Record<string, number> };
    events: Array<{ type: number }>;
  };
  const names = new Map(Object.entries(log.constants.logEventTypes).map(([name, id]) => [id, name]));
  return log.events.map((event) => names.get(event.type) ?? String(event.type));
}

describe('playground with server.http3.enabled (io_uring engine)', { timeout: 120_000 }, () => {
  let dir = '';
  let cert = '';
  let server: RunningPlayground;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zephyr-playground-h3-tls-'));
    const pair = selfSignedCertificate({ cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') });
    cert = pair.cert;
    server = await startHttp3Playground({
      ZEPHYR_SERVER__TLS__CERT: pair.cert,
      ZEPHYR_SERVER__TLS__KEY: pair.key,
    });
  }, 90_000);
  afterAll(() => {
    server?.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('Chromium forced onto QUIC loads the docs page and its resources over h3', async () => {
    const origin = `127.0.0.1:${server.port}`;
    const netLog = join(dir, 'netlog.json');
    const browser: Browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        `--origin-to-force-quic-on=${origin}`,
        `--ignore-certificate-errors-spki-list=${spkiSha256(cert)}`,
        `--log-net-log=${netLog}`,
      ],
    });
    try {
      const page = await browser.newPage();
      const response = await page.goto(`https://${origin}/docs`, { waitUntil: 'load' });
      expect(response?.status()).toBe(200);
      // Expression strings: this package's TypeScript has no DOM types.
      const protocol = await page.evaluate("performance.getEntriesByType('navigation')[0].nextHopProtocol");
      expect(protocol).toBe('h3');
      const resources = (await page.evaluate(
        "performance.getEntriesByType('resource').map((r) => [r.name, r.nextHopProtocol])",
      )) as Array<[string, string]>;
      const ours = resources.filter(([name]) => name.startsWith(`https://${origin}/`));
      // The docs page loads its UI's scripts and styles from the app itself.
      expect(ours.length).toBeGreaterThan(0);
      for (const [name, hop] of ours) expect(hop, name).toBe('h3');
      const health = await page.evaluate("fetch('/health').then((r) => r.text())");
      expect(health).toBe('ok');
    } finally {
      await browser.close();
    }
    // The net-log is complete once the browser has closed.
    expect(netLogEventNames(netLog)).toContain('HTTP3_HEADERS_RECEIVED');
  });

  it('HTTPS responses advertise HTTP/3 on the same port with alt-svc', async () => {
    const browser: Browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', `--ignore-certificate-errors-spki-list=${spkiSha256(cert)}`],
    });
    try {
      const page = await browser.newPage();
      const response = await page.goto(`https://127.0.0.1:${server.port}/health`);
      expect(response?.status()).toBe(200);
      expect(await response?.headerValue('alt-svc')).toBe(`h3=":${server.port}"; ma=86400`);
      const protocol = await page.evaluate("performance.getEntriesByType('navigation')[0].nextHopProtocol");
      // Over TCP: the first load never waits for QUIC.
      expect(['h2', 'http/1.1']).toContain(protocol);
    } finally {
      await browser.close();
    }
  });
});
