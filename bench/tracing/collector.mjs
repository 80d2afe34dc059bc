// A local OTLP/HTTP sink: accepts every export and discards it, so the benchmark measures the
// traced server, not a tracing backend competing for the same two cores. `GET /count` answers
// the exports and bytes received so far: a batch processor drops spans when its queue is full,
// and what a request costs depends on how many of its spans were in fact serialised and sent.
import { createServer } from 'node:http';

let exports = 0;
let bytes = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ exports, bytes }));
    return;
  }
  req.on('data', (chunk) => {
    bytes += chunk.length;
  });
  req.on('end', () => {
    exports++;
    // An empty ExportTraceServiceResponse, in the encoding the export came in.
    if (req.headers['content-type'] === 'application/x-protobuf')
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('collector ready'));
process.on('SIGTERM', () => {
  console.error(`collector: ${exports} exports received`);
  process.exit(0);
});
