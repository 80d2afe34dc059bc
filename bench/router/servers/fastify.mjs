import Fastify from 'fastify';
import { port, routes, user } from '../routes.mjs';

const app = Fastify({ logger: false });
const userSchema = {
  response: {
    200: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        name: { type: 'string' },
        email: { type: 'string' },
        active: { type: 'boolean' },
      },
    },
  },
};
for (const [path, kind] of routes) {
  if (kind === 'user') app.get(path, { schema: userSchema }, (req) => user(req.params.id));
  else app.get(path, (_req, reply) => reply.type('text/plain; charset=utf-8').send('ok'));
}
await app.listen({ port, host: '127.0.0.1' });
console.log(`fastify listening on ${port}`);
