// Test certificates, made fresh by openssl in a temporary folder per test file (no private key
// is committed), shared by the TLS tests and the conformance suite's TLS runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from '../../../scripts/self-signed-cert.mjs';

/** A folder of self-signed EC P-256 certificates, `<stem>.pem` + `<stem>.key` each. */
export class TestCertificates {
  readonly dir = mkdtempSync(join(tmpdir(), 'zephyr-tls-'));

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Makes `<stem>.pem`/`<stem>.key` for `cn` with the given subjectAltName. */
  make(stem: string, cn: string, san: string): { cert: string; key: string } {
    return selfSignedCertificate({ cert: this.path(`${stem}.pem`), key: this.path(`${stem}.key`), cn, san });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

let shared: { certificates: TestCertificates; localhost: { cert: string; key: string } } | undefined;

/** One localhost certificate for the whole test file (removed when the process exits). */
export function localhostCertificate(): { cert: string; key: string } {
  if (!shared) {
    const certificates = new TestCertificates();
    shared = {
      certificates,
      localhost: certificates.make('localhost', 'localhost', 'DNS:localhost,IP:127.0.0.1'),
    };
    process.once('exit', () => certificates.remove());
  }
  return shared.localhost;
}
