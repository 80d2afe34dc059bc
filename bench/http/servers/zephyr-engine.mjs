// The handler both Zephyr servers run; zephyr-uring.mjs and zephyr-node.mjs only pick the engine.
import { listen } from '@zephyr/uring';

export async function serveWith(engine) {
  const port = Number(process.env.PORT ?? 3000);
  const server = await listen(
    // 20000 connections: the idle-connection RSS test opens 10000 plus probes; 120 s idle like
    // the other servers.
    { port, engine, limits: { maxConnections: 20_000, keepAliveTimeoutMs: 120_000 } },
    // Not an async function: GET / answers synchronously, as the other servers do.
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
  console.log(`zephyr (${server.engine}) listening on ${server.port}`);
}
