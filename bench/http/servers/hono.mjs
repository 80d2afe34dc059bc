import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const port = Number(process.env.PORT ?? 3000);
const app = new Hono();
app.get('/', (c) => c.text('Hello, World!'));
app.post('/echo', async (c) =>
  c.body(await c.req.arrayBuffer(), 200, {
    'content-type': c.req.header('content-type') ?? 'application/octet-stream',
  }),
);
const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () =>
  console.log(`hono listening on ${port}`),
);
server.keepAliveTimeout = 120_000;
