import { randomBytes } from 'node:crypto';
import type { Database } from '@zephyr/db';
import { type ActorSystem, createActorSystem, defineActor } from '@zephyr/runtime';
import { createApp, type Server } from '@zephyr/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupTracing, type Tracing } from '../src/index.js';
import { spanReporter } from './fixtures/traced-actors.js';
import { type Jaeger, type JaegerSpan, startJaeger, waitForTrace } from './support/jaeger.js';
import { pgliteShop, type schema } from './support/shop-schema.js';

let jaeger: Jaeger;
let tracing: Tracing;
let db: Database<typeof schema>;
let system: ActorSystem;
let server: Server;

/** A main-thread actor the request asks: it holds stock counts. */
const stock = defineActor<{ type: 'reserve'; sku: string }, { reserve: number }>()({
  start: () => new Map<string, number>([['a-1', 3]]),
  async receive(state, msg) {
    await new Promise((r) => setTimeout(r, 1));
    const left = (state.get(msg.sku) ?? 0) - 1;
    state.set(msg.sku, left);
    return left;
  },
});

beforeAll(async () => {
  // First run on a machine builds Jaeger from source (~11 min on 2 cores); later runs reuse it.
  jaeger = await startJaeger();
  // Worker threads read it when they load the actor module, and set up their own tracing.
  process.env.ZEPHYR_TRACER_TEST_OTLP = jaeger.otlpEndpoint;
  tracing = setupTracing({ serviceName: 'zephyr-it', endpoint: jaeger.otlpEndpoint, exportDelayMs: 50 });
  db = await pgliteShop();
  system = await createActorSystem({
    config: { actor_threads: 1 },
    modules: [new URL('./fixtures/traced-actors.js', import.meta.url)],
  });
  const stockRef = system.spawn(stock, { name: 'stock' });
  const reporter = system.spawn(spanReporter, { name: 'reporter' });
  const app = createApp();
  app.get('/products/:sku', async (ctx) => {
    const [product] = await db.models.products.findMany({ where: { sku: ctx.params.sku } });
    const left = await stockRef.ask({ type: 'reserve', sku: ctx.params.sku });
    const worker = await reporter.ask({ type: 'report' });
    return ctx.json({ name: product?.name ?? null, left, workerTrace: worker?.traceId ?? null });
  });
  server = await app.listen({ port: 0 });
}, 30 * 60_000);

afterAll(async () => {
  await server?.close();
  await system?.shutdown();
  await db?.destroy();
  await tracing?.shutdown();
  await jaeger?.stop();
  delete process.env.ZEPHYR_TRACER_TEST_OTLP;
});

function parentOf(span: JaegerSpan): string | undefined {
  return span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
}

function tag(span: JaegerSpan, key: string): unknown {
  return span.tags.find((t) => t.key === key)?.value;
}

describe('tracing into a real Jaeger', () => {
  it('shows one trace: request → queries and actor spans (main thread and worker), under the incoming trace id', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const res = await fetch(`http://127.0.0.1:${server.port}/products/a-1`, {
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ name: 'Anvil', left: 2, workerTrace: traceId });
    await tracing.forceFlush();

    const names = [
      'GET /products/:sku',
      'SELECT products',
      'process reserve',
      'send report',
      'process report',
    ];
    const found = await waitForTrace(jaeger, traceId, (t) =>
      names.every((n) => t.spans.some((s) => s.operationName === n)),
    );
    const byName = (n: string) => {
      const spans = found.spans.filter((s) => s.operationName === n);
      expect(spans, n).toHaveLength(1);
      return spans[0]!;
    };
    const request = byName('GET /products/:sku');
    const query = byName('SELECT products');
    const reserve = byName('process reserve');
    const send = byName('send report');
    const report = byName('process report');

    expect(found.traceID).toBe(traceId);
    expect(parentOf(request)).toBe(callerSpanId);
    expect(parentOf(query)).toBe(request.spanID);
    expect(parentOf(reserve)).toBe(request.spanID);
    expect(parentOf(send)).toBe(request.spanID);
    expect(parentOf(report)).toBe(send.spanID);

    expect(tag(request, 'span.kind')).toBe('server');
    expect(tag(request, 'http.response.status_code')).toBe(200);
    expect(tag(query, 'span.kind')).toBe('client');
    expect(tag(query, 'db.collection.name')).toBe('products');
    expect(tag(reserve, 'span.kind')).toBe('consumer');
    expect(found.processes[request.processID]?.serviceName).toBe('zephyr-it');
    // The worker thread's own SDK exported its span, and Jaeger joined it into the same trace.
    expect(found.processes[report.processID]?.serviceName).toBe('zephyr-worker');
  });
});
