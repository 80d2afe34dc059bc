// The HTTP/3 server scripts/h3i.sh replays its cases against with `--engine uring`: @zephyr/uring
// (io_uring engine) with `http3: true` and a self-signed certificate of its own, answering every
// request `200 ok`.
//   node scripts/h3i-uring-server.mjs PORT_FILE
// writes the chosen port (TCP and UDP: the same number) to PORT_FILE, and closes on SIGTERM.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen } from '../packages/uring/dist/index.js';
import { selfSignedCertificate } from './self-signed-cert.mjs';

const [portFile] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'h3i-cert-'));
const tls = selfSignedCertificate({ cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') });

const server = await listen(
  {
    port: 0,
    host: '127.0.0.1',
    engine: 'io_uring',
    tls,
    http3: true,
  },
  (_req, res) => res.end('ok'),
);
rmSync(dir, { recursive: true });
writeFileSync(portFile, String(server.port));
process.on('SIGTERM', () => {
  server.close().then(() => process.exit(0));
});
