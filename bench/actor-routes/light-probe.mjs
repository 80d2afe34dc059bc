// Open-loop prober of the light route: one GET /light every 1000/RATE ms whether or not earlier
// ones have answered (so a stalled server shows as latency, not as fewer samples), for DURATION
// ms over keep-alive connections. Prints { sent, answered, failed, p50, p99, max } (ms) as JSON.
import { Agent, get } from 'node:http';
import { performance } from 'node:perf_hooks';

const url = process.env.URL;
const rate = Number(process.env.RATE ?? 200);
const duration = Number(process.env.DURATION ?? 5000);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const latencies = [];
let sent = 0;
let failed = 0;
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
      else failed++;
    });
  });
  req.on('error', () => {
    outstanding--;
    failed++;
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
failed += outstanding;
latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
console.log(
  JSON.stringify({ sent, answered: latencies.length, failed, p50: at(0.5), p99: at(0.99), max: at(1) }),
);
agent.destroy();
