// node:https with the same certificate; the file through a read stream (no sendfile in node).
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:https';

const port = Number(process.env.PORT ?? 3000);
const size = statSync(process.env.FILE).size;
const server = createServer(
  { cert: readFileSync(process.env.CERT), key: readFileSync(process.env.KEY), keepAliveTimeout: 120_000 },
  (req, res) => {
    if (req.url === '/file') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
      createReadStream(process.env.FILE).pipe(res);
      return;
    }
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('Hello, World!');
      return;
    }
    res.writeHead(404).end();
  },
);
server.listen(port, '127.0.0.1', () => console.log(`node:https on ${port}`));
