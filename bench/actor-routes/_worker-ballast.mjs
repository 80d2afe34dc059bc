// bare worker + ~2 MB of long-lived plain objects (the actor thread's old generation is ~2 MB bigger)
import { parentPort } from 'node:worker_threads';
import { ROUNDS, work } from './work.mjs';

globalThis.__ballast = Array.from({ length: 25_000 }, (_, i) => ({ i, s: `x${i}`, a: [i] }));
parentPort.on('message', ({ id, text }) => parentPort.postMessage({ id, digest: work(text, ROUNDS) }));
