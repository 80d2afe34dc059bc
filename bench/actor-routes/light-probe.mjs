// Open-loop prober of the light route: one GET /light every 1000/RATE ms whether or not earlier
// ones have answered (so a stalled server shows as latency, not as fewer samples), for DURATION
// ms over keep-alive connections. Prints { sent, answered, failed, reasons, p50, p99, max } (ms)
// as JSON; `reasons` counts each failure by its status or error code.
import { Agent, get } from 'node:http';
import { performance } from 'node:perf_hooks';

const url = process.env.URL;
const rate = Number(process.env.RATE ?? 200);
const duration = Number(process.env.DURATION ?? 5000);
// A socket timeout makes node 20's agent honour a server's `keep-alive: timeout=N` hint (it only
// ever shortens that timeout), so it retires idle connections before the server closes them.
const agent = new Agent({ keepAlive: true, maxSockets: 256, timeout: 60_000 });
const latencies = [];
let sent = 0;
let failed = 0;
const reasons = {};
const fail = (reason, count = 1) => {
  failed += count;
  reasons[reason] = (reasons[reason] ?? 0) + count;
};
let outstanding = 0;

function probe() {
  const start = performance.now();
  sent++;
  outstanding++;
  const req = get(url, { agent }, (res) => {
    res.resume();
    res.on('end', () => {
      outstanding--;
      if (res.statusCode === 200) latencies.push(performance.now() - start);
      else fail(`status ${res.statusCode}`);
    });
  });
  req.on('error', (err) => {
    outstanding--;
    fail(`${err.code ?? err.message}${req.reusedSocket ? ' (reused connection)' : ''}`);
  });
}

const began = performance.now();
await new Promise((resolve) => {
  const tick = () => {
    const due = Math.floor(((performance.now() - began) * rate) / 1000);
    while (sent < due) probe();
    if (performance.now() - began >= duration) resolve();
    else setTimeout(tick, 1);
  };
  tick();
});
// Wait for stragglers (they are the tail we are measuring), up to 30 s.
const waitUntil = performance.now() + 30_000;
while (outstanding > 0 && performance.now() < waitUntil) await new Promise((r) => setTimeout(r, 10));
if (outstanding > 0) fail('unanswered after 30 s', outstanding);
latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
console.log(
  JSON.stringify({
    sent,
    answered: latencies.length,
    failed,
    reasons,
    p50: at(0.5),
    p99: at(0.99),
    max: at(1),
  }),
);
agent.destroy();
