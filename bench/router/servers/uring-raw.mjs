// Not a framework: the @zephyr/uring engine with a hand-written switch over the same 100 routes,
// to show how much of the engine's speed the framework keeps (zephyr-io_uring vs this).
import { listen } from '@zephyr/uring';
import { port, routeByHand as route } from '../routes.mjs';

await listen({ port, host: '127.0.0.1', engine: 'io_uring' }, (req, res) => {
  const result = req.method === 'GET' ? route(req.path) : null;
  if (result === null) res.status(404).setHeader('content-type', 'text/plain').end('not found');
  else if (typeof result === 'string') res.setHeader('content-type', 'text/plain; charset=utf-8').end(result);
  else res.setHeader('content-type', 'application/json; charset=utf-8').end(JSON.stringify(result));
});
console.log(`raw io_uring engine listening on ${port}`);
