// The Zephyr WebSocket echo app both engine servers run (zephyr-node.mjs, zephyr-uring.mjs):
// echoes every message (text and binary) on any path, with permessage-deflate offered; on
// /fanout, every connection subscribes and a message from any of them is published to all.
// Used by the WebSocket benchmark and by Autobahn (scripts/autobahn.sh).
import { createApp } from '@zephyr/server';

/** Serves the echo app on `PORT` with `engine`, logging one `listening` line. */
export async function serveEcho(engine) {
  const port = Number(process.env.PORT ?? 3000);
  const app = createApp();
  const echo = {
    message: (ws, message) => {
      ws.send(message);
    },
  };
  app.ws('/', echo);
  app.ws('/fanout', {
    open: (ws) => ws.subscribe('fanout'),
    message: (_ws, message) => {
      app.publish('fanout', message);
    },
  });
  app.ws('/*', echo);
  const server = await app.listen({
    port,
    engine,
    // Room for the 10 000-subscriber fan-out while the last phase's sockets are still closing.
    limits: { maxConnections: 20_000 },
    websocket: { perMessageDeflate: true, idleTimeoutMs: 0, maxConnections: 20_000 },
  });
  console.log(`zephyr (${server.engine} engine) websocket echo listening on ${server.port}`);
  const stop = () => server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
