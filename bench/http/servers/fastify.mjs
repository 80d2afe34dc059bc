import Fastify from 'fastify';

const port = Number(process.env.PORT ?? 3000);
const app = Fastify({ logger: false, keepAliveTimeout: 120_000 });
app.get('/', (_req, reply) => {
  reply.type('text/plain').send('Hello, World!');
});
// fastify parses text/plain bodies to a string itself; echo it back unchanged.
app.post('/echo', (req, reply) => {
  reply.type(req.headers['content-type'] ?? 'application/octet-stream').send(req.body);
});
await app.listen({ port, host: '127.0.0.1' });
console.log(`fastify listening on ${port}`);
