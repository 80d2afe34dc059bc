import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { port, routes, user } from '../routes.mjs';

const app = new Hono();
for (const [path, kind] of routes) {
  if (kind === 'user') app.get(path, (c) => c.json(user(c.req.param('id'))));
  else app.get(path, (c) => c.text('ok'));
}
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => console.log(`hono listening on ${port}`));
