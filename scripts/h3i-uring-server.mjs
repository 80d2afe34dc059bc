// The HTTP/3 server scripts/h3i.sh replays its cases against with `--engine uring`: @zephyr/uring
// (io_uring engine) with `http3: true`, answering every request `200 ok`.
//   node scripts/h3i-uring-server.mjs CERT.pem KEY.pem PORT_FILE
// writes the chosen port (TCP and UDP: the same number) to PORT_FILE, and closes on SIGTERM.
import { writeFileSync } from 'node:fs';
import { listen } from '../packages/uring/dist/index.js';

const [cert, key, portFile] = process.argv.slice(2);

const server = await listen(
  {
    port: 0,
    host: '127.0.0.1',
    engine: 'io_uring',
    tls: { cert, key },
    http3: true,
  },
  (_req, res) => res.end('ok'),
);
writeFileSync(portFile, String(server.port));
process.on('SIGTERM', () => {
  server.close().then(() => process.exit(0));
});
