// Requests/s and latency percentiles from recorded requests, with the clock given.
import { expect, it } from 'vitest';
import { RequestMetrics } from '../src/dashboard/request-metrics.js';

it('counts requests per second, averages the last five whole seconds, and takes percentiles', () => {
  const m = new RequestMetrics();
  const t0 = Math.floor(Date.now() / 1000) * 1000 + 10_000;
  for (let s = 0; s < 5; s++) for (let i = 0; i < 10; i++) m.record(i + 1, 200, t0 + s * 1000 + i);
  m.record(500, 503, t0 + 5000);
  const stats = m.stats(t0 + 5500);
  expect(stats.perSecond.slice(-6)).toEqual([10, 10, 10, 10, 10, 1]);
  expect(stats.rate).toBe(10);
  expect(stats.total).toBe(51);
  expect(stats.statusClasses).toEqual({ '2xx': 50, '5xx': 1 });
  expect(stats.latencyMs).toEqual({ p50: 6, p95: 10, p99: 500, max: 500 });
});

it('forgets seconds without requests and latencies older than the window', () => {
  const m = new RequestMetrics();
  const t0 = Math.floor(Date.now() / 1000) * 1000 + 10_000;
  m.record(5, 200, t0);
  const later = m.stats(t0 + 120_000);
  expect(later.perSecond.every((n) => n === 0)).toBe(true);
  expect(later.latencyMs).toBeNull();
  expect(later.total).toBe(1);
});
