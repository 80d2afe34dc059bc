// Fastify on https; the file as a stream (its documented way without a static plugin).
import { createReadStream, readFileSync, statSync } from 'node:fs';
import Fastify from 'fastify';

const port = Number(process.env.PORT ?? 3000);
const size = statSync(process.env.FILE).size;
const app = Fastify({
  logger: false,
  keepAliveTimeout: 120_000,
  https: { cert: readFileSync(process.env.CERT), key: readFileSync(process.env.KEY) },
});
app.get('/', (_req, reply) => {
  reply.type('text/plain').send('Hello, World!');
});
app.get('/file', (_req, reply) => {
  reply
    .type('application/octet-stream')
    .header('content-length', size)
    .send(createReadStream(process.env.FILE));
});
await app.listen({ port, host: '127.0.0.1' });
console.log(`fastify https on ${port}`);
