// The worker of servers/zephyr-worker.mjs: the heavy route's work and nothing else.
import { parentPort, workerData } from 'node:worker_threads';
import { ROUNDS, work } from './work.mjs';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
if (workerData.frames === 'clone') {
  parentPort.on('message', ({ id, text }) => parentPort.postMessage({ id, digest: work(text, ROUNDS) }));
} else {
  parentPort.on('message', (frame) => {
    const { id, text } = JSON.parse(decoder.decode(frame));
    const reply = encoder.encode(JSON.stringify({ id, digest: work(text, ROUNDS) }));
    parentPort.postMessage(reply, [reply.buffer]);
  });
}
