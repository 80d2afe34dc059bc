// Fastify with `http2: true` (h2c), or over TLS when TLS_CERT and TLS_KEY are set; on PORT.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const port = Number(process.env.PORT ?? 3000);
const tls = process.env.TLS_CERT && process.env.TLS_KEY;
const app = Fastify({
  logger: false,
  http2: true,
  ...(tls
    ? { https: { cert: readFileSync(process.env.TLS_CERT), key: readFileSync(process.env.TLS_KEY) } }
    : {}),
});
app.get('/', (_req, reply) => {
  reply.type('text/plain').send('Hello, World!');
});
app.post('/echo', (req, reply) => {
  reply.type(req.headers['content-type'] ?? 'application/octet-stream').send(req.body);
});
await app.listen({ port, host: '127.0.0.1' });
console.log(`fastify ${tls ? 'h2' : 'h2c'} listening on ${port}`);
