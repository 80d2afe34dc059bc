// The meta-package's attachDevtools: the tracer's ring reaches the dashboard without the app
// handing it over, and with tracing off the dashboard says so.
import { afterEach, expect, it } from 'vitest';
import { attachDevtools, createApp, type Devtools, setupTracing } from '../src/index.js';

let devtools: Devtools | undefined;
let shutdownTracing: (() => Promise<void>) | undefined;
afterEach(async () => {
  await devtools?.close();
  await shutdownTracing?.();
  devtools = undefined;
  shutdownTracing = undefined;
});

async function stats(app: ReturnType<typeof createApp>) {
  const response = await app.fetch(new Request('http://app/_zephyr/api/stats'));
  expect(response.status).toBe(200);
  return (await response.json()) as { traces: { spans: { name: string }[] }[] | null };
}

it('shows null traces while tracing is off', async () => {
  const app = createApp();
  devtools = await attachDevtools({ app, socket: false, mode: 'development' });
  expect((await stats(app)).traces).toBeNull();
});

it('shows the requests traced by setupTracing, read from its ring', async () => {
  const tracing = setupTracing({ serviceName: 'meta-devtools-test', exporter: 'none' });
  shutdownTracing = () => tracing.shutdown();
  const app = createApp();
  app.get('/hello', (ctx) => ctx.text('hi'));
  devtools = await attachDevtools({ app, socket: false, mode: 'development' });
  const server = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    expect(await (await fetch(`http://127.0.0.1:${server.port}/hello`)).text()).toBe('hi');
    const traces = (await stats(app)).traces;
    expect(traces?.flatMap((t) => t.spans.map((s) => s.name))).toContain('GET /hello');
  } finally {
    await server.close();
  }
});
