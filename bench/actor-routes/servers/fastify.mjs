// Fastify 5: the heavy route inline (MODE=inline) or on a Piscina pool (MODE=piscina); the light
// route inline in both.
import Fastify from 'fastify';
import { piscinaPool } from '../piscina-pool.mjs';
import { PORT, ROUNDS, work } from '../work.mjs';

const mode = process.env.MODE;
if (mode !== 'inline' && mode !== 'piscina') throw new Error('MODE must be inline or piscina');
const app = Fastify({ logger: false, keepAliveTimeout: 120_000 });
const schema = {
  body: {
    type: 'object',
    properties: { text: { type: 'string', maxLength: 100 } },
    required: ['text'],
  },
};
app.get('/light', (_req, reply) => {
  reply.type('text/plain').send('light');
});
if (mode === 'piscina') {
  const pool = piscinaPool();
  app.post('/heavy', { schema }, (req) => pool.run({ text: req.body.text }));
} else {
  app.post('/heavy', { schema }, (req) => ({ digest: work(req.body.text, ROUNDS) }));
}
await app.listen({ port: PORT, host: '127.0.0.1' });
console.log(`fastify-${mode} listening on ${PORT}`);
