// A self-signed EC P-256 certificate made by openssl: the one recipe the TLS tests and the HTTPS and
// HTTP/2 benchmarks share (no private key is committed; each run makes its own).
import { execFileSync } from 'node:child_process';

/**
 * Writes `cert` and `key` (PEM paths) for `cn`, valid for `days`, with `san` as its
 * subjectAltName, and returns the two paths.
 *
 * @param {{ cert: string, key: string, cn?: string, san?: string, days?: number }} options
 * @returns {{ cert: string, key: string }}
 */
export function selfSignedCertificate({
  cert,
  key,
  cn = 'localhost',
  san = 'DNS:localhost,IP:127.0.0.1',
  days = 2,
}) {
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
      key,
      '-out',
      cert,
      '-days',
      String(days),
      '-subj',
      `/CN=${cn}`,
      '-addext',
      `subjectAltName=${san}`,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}
