// Zephyr's HTTP front with Piscina's pool behind it (opt-in: `--servers zephyr-piscina,...`). A
// diagnostic, not a peer: beside zephyr-actors and fastify-piscina it splits a heavy-route gap into
// the front's share (same pool, other front) and the pool's (same front, other pool).
import { createApp } from '@zephyr/server';
import { z } from 'zod';
import { piscinaPool } from '../piscina-pool.mjs';
import { PORT } from '../work.mjs';

const body = z.object({ text: z.string().max(100) });
const app = createApp();
app.get('/light', (ctx) => ctx.text('light'));
// The same pool as fastify.mjs's.
const pool = piscinaPool();
app.post('/heavy', { body }, async (ctx) => ctx.json(await pool.run({ text: ctx.body.text })));
const engine = process.env.ZEPHYR_IO_ENGINE || 'auto';
const server = await app.listen({ port: PORT, host: '127.0.0.1', engine });
console.log(`zephyr-piscina listening on ${server.port} (${server.engine})`);
