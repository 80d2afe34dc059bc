// The handler and listen options both Zephyr HTTP/2 servers run; zephyr-h2c.mjs and
// zephyr-h2.mjs only add TLS or not. No engine is forced: `auto` serves HTTP/2 on io_uring where
// the ring works (its HTTP/2 session), else on the node engine (node:http2).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen } from '@zephyr/uring';
import { selfSignedCertificate } from '../../../scripts/self-signed-cert.mjs';

/** TLS_CERT/TLS_KEY, or a self-signed P-256 pair made now. */
export function certificate() {
  if (process.env.TLS_CERT && process.env.TLS_KEY)
    return { cert: process.env.TLS_CERT, key: process.env.TLS_KEY };
  const dir = mkdtempSync(join(tmpdir(), 'zephyr-bench-h2-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  selfSignedCertificate({ cert, key, days: 30 });
  return { cert, key };
}

export async function serveH2(tls) {
  const port = Number(process.env.PORT ?? 3000);
  const server = await listen(
    {
      port,
      http2: { maxConcurrentStreams: 128 },
      limits: { maxConnections: 20_000, keepAliveTimeoutMs: 120_000 },
      ...(tls ? { tls: certificate() } : {}),
    },
    (req, res) => {
      if (req.method === 'POST' && req.path === '/echo') {
        return req.body().then((body) => {
          res.setHeader('content-type', req.header('content-type') ?? 'application/octet-stream').end(body);
        });
      }
      if (req.path === '/') {
        res.setHeader('content-type', 'text/plain').end('Hello, World!');
        return;
      }
      res.status(404).end();
    },
  );
  console.log(`zephyr ${tls ? 'h2' : 'h2c'} (${server.engine}) listening on ${server.port}`);
}
