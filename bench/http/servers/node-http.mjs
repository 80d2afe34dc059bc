// node:http with no framework: the baseline every ratio in the table is against.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 3000);
const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/echo') {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' });
      res.end(Buffer.concat(chunks));
    });
    return;
  }
  if (req.url === '/') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('Hello, World!');
    return;
  }
  res.writeHead(404).end();
});
// Same idle allowance on every server, so the idle-connection RSS test keeps all of them open.
server.keepAliveTimeout = 120_000;
server.listen(port, '127.0.0.1', () => console.log(`node:http listening on ${port}`));
