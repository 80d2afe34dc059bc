// node:http2 with its core stream API (the fastest way to use it), h2c, or TLS when TLS_CERT and
// TLS_KEY are set; listening on PORT.
import { readFileSync } from 'node:fs';
import { createSecureServer, createServer } from 'node:http2';

const port = Number(process.env.PORT ?? 3000);
const tls = process.env.TLS_CERT && process.env.TLS_KEY;
const options = { settings: { maxConcurrentStreams: 128 } };
const server = tls
  ? createSecureServer({
      ...options,
      cert: readFileSync(process.env.TLS_CERT),
      key: readFileSync(process.env.TLS_KEY),
    })
  : createServer(options);
server.on('stream', (stream, headers) => {
  if (headers[':method'] === 'POST' && headers[':path'] === '/echo') {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('end', () => {
      stream.respond({
        ':status': 200,
        'content-type': headers['content-type'] ?? 'application/octet-stream',
      });
      stream.end(Buffer.concat(chunks));
    });
    return;
  }
  stream.respond({ ':status': 200, 'content-type': 'text/plain' });
  stream.end('Hello, World!');
});
server.listen(port, '127.0.0.1', () => console.log(`node:http2 ${tls ? 'h2' : 'h2c'} listening on ${port}`));
