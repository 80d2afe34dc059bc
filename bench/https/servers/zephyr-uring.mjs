// Zephyr's io_uring engine with rustls on the ring. KERNEL_TLS=1 asks for kernel TLS offload
// (where the engine cannot use it, it says why once and encrypts in user space).
import { listen } from '@zephyr/uring';

const port = Number(process.env.PORT ?? 3000);
const server = await listen(
  {
    port,
    engine: 'io_uring',
    limits: { maxConnections: 20_000, keepAliveTimeoutMs: 120_000 },
    tls: { cert: process.env.CERT, key: process.env.KEY, kernelTls: process.env.KERNEL_TLS === '1' },
  },
  (req, res) => {
    if (req.path === '/file')
      return res.setHeader('content-type', 'application/octet-stream').sendFile(process.env.FILE);
    if (req.path === '/') {
      res.setHeader('content-type', 'text/plain').end('Hello, World!');
      return;
    }
    res.status(404).end();
  },
);
console.log(`zephyr (${server.engine}) https on ${server.port}`);
