// The baseline: node:http with the routes matched by a hand-written switch, no framework.
import { createServer } from 'node:http';
import { port, user } from '../routes.mjs';

const resources = new Set([
  'users',
  'posts',
  'comments',
  'orders',
  'products',
  'carts',
  'invoices',
  'teams',
  'projects',
  'tasks',
]);
const staticTails = new Set(['new', 'search', 'stats']);

function route(path) {
  const parts = path.split('/');
  // parts[0] is '' (leading slash)
  const resource = parts[1];
  if (!resources.has(resource)) return null;
  switch (parts.length) {
    case 2:
      return 'ok';
    case 3:
      if (staticTails.has(parts[2])) return 'ok';
      return resource === 'users' ? user(parts[2]) : 'ok';
    case 4:
      if ((parts[2] === 'feeds' && parts[3] === 'latest') || (parts[2] === 'export' && parts[3] === 'csv'))
        return 'ok';
      if (parts[2] === 'archive' || parts[3] === 'edit') return 'ok';
      return null;
    case 5:
      return parts[3] === 'children' ? 'ok' : null;
    default:
      return null;
  }
}

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
