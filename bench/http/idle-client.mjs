// Opens COUNT keep-alive connections to 127.0.0.1:PORT, sends one GET / on each, reads the
// answer, then holds them all idle until stdin closes. Prints "ready <n>" once all answered.
// Run with a raised `ulimit -n` (run.mjs does).
import { connect } from 'node:net';

const port = Number(process.env.PORT);
const count = Number(process.env.COUNT ?? 10_000);
const sockets = [];
let answered = 0;
let failed = 0;

function openOne() {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    let seen = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => {
      seen += d;
      if (seen.includes('Hello, World!')) {
        answered++;
        seen = '';
        resolve();
      }
    });
    socket.on('error', () => {
      failed++;
      resolve();
    });
    socket.on('close', resolve);
    socket.write('GET / HTTP/1.1\r\nHost: bench\r\n\r\n');
  });
}

// Batches of 500 keep the accept queue from overflowing on a one-core server.
for (let i = 0; i < count; i += 500) {
  await Promise.all(Array.from({ length: Math.min(500, count - i) }, openOne));
}
console.log(`ready ${answered} ${failed}`);
process.stdin.resume();
process.stdin.on('end', () => {
  for (const s of sockets) s.destroy();
  process.exit(0);
});
