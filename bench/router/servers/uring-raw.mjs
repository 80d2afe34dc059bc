// Not a framework: the @zephyr/uring engine with a hand-written switch over the same 100 routes,
// to show how much of the engine's speed the framework keeps (zephyr-io_uring vs this).
import { listen } from '@zephyr/uring';
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

await listen({ port, host: '127.0.0.1', engine: 'io_uring' }, (req, res) => {
  const result = req.method === 'GET' ? route(req.path) : null;
  if (result === null) res.status(404).setHeader('content-type', 'text/plain').end('not found');
  else if (typeof result === 'string') res.setHeader('content-type', 'text/plain; charset=utf-8').end(result);
  else res.setHeader('content-type', 'application/json; charset=utf-8').end(JSON.stringify(result));
});
console.log(`raw io_uring engine listening on ${port}`);
