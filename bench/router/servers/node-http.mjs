// The baseline: node:http with the routes matched by a hand-written switch, no framework.
import { createServer } from 'node:http';
import { port, routeByHand as route } from '../routes.mjs';

createServer((req, res) => {
  const q = req.url.indexOf('?');
  const result = req.method === 'GET' ? route(q === -1 ? req.url : req.url.slice(0, q)) : null;
  if (result === null) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  } else if (typeof result === 'string') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(result);
  } else {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(result));
  }
}).listen(port, '127.0.0.1', () => console.log(`node:http listening on ${port}`));
