import { createApp } from '@zephyr/server';
import { z } from 'zod';
import { port, routes, user } from '../routes.mjs';

const userSchema = z.object({ id: z.string(), name: z.string(), email: z.string(), active: z.boolean() });
const app = createApp();
for (const [path, kind] of routes) {
  if (kind === 'user') app.get(path, { response: userSchema }, (ctx) => ctx.json(user(ctx.params.id)));
  else app.get(path, (ctx) => ctx.text('ok'));
}
const server = await app.listen({
  port,
  host: '127.0.0.1',
  engine: process.env.ZEPHYR_BENCH_ENGINE ?? 'io_uring',
});
console.log(`zephyr on ${server.engine} listening on ${server.port}`);
