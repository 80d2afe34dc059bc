// The `ws` package on node:http, the peer every ratio is against: echoes every message on any
// path, with permessage-deflate offered (on /fanout, a message goes to every /fanout connection).
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.env.PORT ?? 3000);
const server = createServer((_req, res) => res.writeHead(426).end());
const wss = new WebSocketServer({ server, perMessageDeflate: true, maxPayload: 16 * 1024 * 1024 });
const fanout = new Set();
wss.on('connection', (ws, req) => {
  if (req.url === '/fanout') {
    fanout.add(ws);
    ws.on('close', () => fanout.delete(ws));
    ws.on('message', (data, isBinary) => {
      for (const peer of fanout) peer.send(data, { binary: isBinary });
    });
    return;
  }
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
server.listen(port, '127.0.0.1', () => console.log(`ws listening on ${port}`));
