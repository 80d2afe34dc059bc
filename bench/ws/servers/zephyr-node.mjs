// Zephyr on the node engine: echoes every message (text and binary) on any path, with
// permessage-deflate offered (on /fanout, messages are published to every /fanout connection
// instead). Used by the WebSocket benchmark and by Autobahn (scripts/autobahn.sh).
import { createApp } from '@zephyr/server';

const port = Number(process.env.PORT ?? 3000);
const app = createApp();
const echo = {
  message: (ws, message) => {
    ws.send(message);
  },
};
app.ws('/', echo);
// Fan-out: every /fanout connection subscribes; a message from any of them is published to all.
app.ws('/fanout', {
  open: (ws) => ws.subscribe('fanout'),
  message: (_ws, message) => {
    app.publish('fanout', message);
  },
});
app.ws('/*', echo);
const server = await app.listen({
  port,
  engine: 'node',
  websocket: { perMessageDeflate: true, idleTimeoutMs: 0 },
});
console.log(`zephyr (node engine) websocket echo listening on ${server.port}`);
const stop = () => server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
