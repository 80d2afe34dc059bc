// One Zephyr app serving HTTP/3 (UDP) and HTTPS with HTTP/2 and HTTP/1.1 (TCP, ALPN) on the same
// PORT, from one process on the io_uring engine (the only engine with HTTP/3); certificate and key
// from TLS_CERT/TLS_KEY. Routes: `/` answers `Hello, World!`; `/bytes/<n>` answers n bytes
// (`a`..`z` repeating, n up to 16 MiB) from one buffer made at start, so a transfer measures the
// protocol, not the making of the body.
import { listen } from '@zephyr/uring';

const MAX_BYTES = 16 << 20;
const BYTES = Buffer.alloc(MAX_BYTES);
for (let i = 0; i < MAX_BYTES; i++) BYTES[i] = 0x61 + (i % 26);

const port = Number(process.env.PORT ?? 4433);
const { TLS_CERT: cert, TLS_KEY: key } = process.env;
if (!cert || !key) throw new Error('zephyr-h3.mjs needs TLS_CERT and TLS_KEY (PEM paths)');

// The same stream limit for both multiplexed protocols (HTTP/3's default), so neither can have
// more requests in flight per connection than the other.
const maxConcurrentStreams = 100;
const server = await listen(
  {
    port,
    host: '127.0.0.1',
    engine: 'io_uring',
    tls: { cert, key },
    http2: { maxConcurrentStreams },
    http3: { maxConcurrentStreams },
    limits: { maxConnections: 20_000, keepAliveTimeoutMs: 120_000 },
  },
  (req, res) => {
    if (req.path === '/') {
      res.setHeader('content-type', 'text/plain').end('Hello, World!');
      return;
    }
    const bytes = /^\/bytes\/(\d{1,9})$/.exec(req.path);
    if (bytes && Number(bytes[1]) <= MAX_BYTES) {
      res.setHeader('content-type', 'application/octet-stream').end(BYTES.subarray(0, Number(bytes[1])));
      return;
    }
    res.status(404).end();
  },
);
console.log(
  `zephyr (${server.engine}) HTTP/3 on udp ${server.port}, HTTPS (h2, http/1.1) on tcp ${server.port}`,
);
