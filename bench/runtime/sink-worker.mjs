// Worker side of the raw cross-thread baselines: counts messages, answers "done" at each target.
import { parentPort, workerData } from 'node:worker_threads';
import { decode } from '@msgpack/msgpack';
import { RingReader } from './sab-ring.mjs';

let count = 0;
let target = 0;
const add = (k) => {
  count += k;
  if (count >= target && target > 0) {
    parentPort.postMessage({ done: count });
    target = 0;
  }
};
parentPort.on('message', (m) => {
  if (m !== null && typeof m === 'object' && 'target' in m) {
    target = m.target;
    if (count >= target) add(0);
    return;
  }
  if (workerData.mode === 'clone') add(1);
  else if (workerData.mode === 'msgpack-each') {
    decode(m);
    add(1);
  } else if (workerData.mode === 'port-batch') {
    // A batch frame holds [1, address, msg] triples, like the runtime's link.
    add(decode(m).length / 3);
  }
});
if (workerData.mode === 'sab-batch') {
  new RingReader(workerData.ring).run((frame) => add(decode(frame).length / 3));
}
