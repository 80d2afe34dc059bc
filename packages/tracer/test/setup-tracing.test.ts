import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { createApp } from '@zephyr/server';
import { afterEach, describe, expect, it } from 'vitest';
import { addSqlComment, setupTracing, TRACER_NAME, type Tracing } from '../src/index.js';
import {
  inMemoryTracing,
  only,
  type TestTracing,
  TRACE_ID,
  TRACEPARENT,
} from './support/in-memory-tracing.js';

let t: TestTracing | undefined;
afterEach(async () => {
  await t?.shutdown();
  t = undefined;
});

const INVALID = expect.objectContaining({ code: 'ZEPHYR_ERR_INVALID_ARGUMENT' });

describe('setupTracing', () => {
  it('refuses bad options with ZEPHYR_ERR_INVALID_ARGUMENT and a message naming the option', () => {
    const bad: unknown[] = [
      undefined,
      null,
      {},
      { serviceName: '' },
      { serviceName: 'x', sampleRate: 1.5 },
      { serviceName: 'x', sampleRate: -0.1 },
      { serviceName: 'x', sampleRate: Number.NaN },
      { serviceName: 'x', exporter: 'zipkin' },
      { serviceName: 'x', exporter: {} },
      { serviceName: 'x', endpoint: 'ftp://collector/v1/traces' },
      { serviceName: 'x', endpoint: 'not a url' },
      { serviceName: 'x', headers: { 'bad name': 'v' } },
      { serviceName: 'x', headers: { ok: 'line\r\nbreak' } },
      { serviceName: 'x', exportDelayMs: 0 },
      { serviceName: 'x', unknownOption: true },
    ];
    for (const options of bad)
      expect(() => setupTracing(options as never), JSON.stringify(options)).toThrow(INVALID);
    expect(() => setupTracing({ serviceName: 'x', sampleRate: 2 })).toThrow(/sampleRate/);
  });

  it('refuses a second setup while one is active, and allows one after shutdown', async () => {
    t = inMemoryTracing();
    expect(() => setupTracing({ serviceName: 'again', exporter: 'none' })).toThrow(
      expect.objectContaining({ code: 'ZEPHYR_ERR_TRACING_ALREADY_SET_UP' }),
    );
    await t.shutdown();
    t = inMemoryTracing();
  });

  it('samples new traces at sampleRate but follows the decision of an incoming traceparent', async () => {
    t = inMemoryTracing({ sampleRate: 0 });
    const app = createApp();
    app.get('/', (ctx) => ctx.text('ok'));
    await app.inject({ method: 'GET', url: '/' });
    expect(await t.spans()).toEqual([]);
    await app.inject({ method: 'GET', url: '/', headers: { traceparent: TRACEPARENT } });
    expect(only(await t.spans(), 'GET /').spanContext().traceId).toBe(TRACE_ID);
    // An incoming "not sampled" flag is followed too.
    await app.inject({
      method: 'GET',
      url: '/',
      headers: { traceparent: `00-${TRACE_ID}-b7ad6b7169203331-00` },
    });
    expect(await t.spans()).toHaveLength(1);
  });

  it('decides once, first: an unsampled request enters no context, a caller’s unsampled trace still travels on', async () => {
    t = inMemoryTracing({ sampleRate: 0 });
    const app = createApp();
    // What the handler sees as current, across an await, and what it would send on downstream.
    app.get('/where', async (ctx) => {
      await new Promise((r) => setTimeout(r, 1));
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      return ctx.json({ root: context.active() === ROOT_CONTEXT, carrier });
    });
    const fresh = await app.inject({ method: 'GET', url: '/where' });
    expect(fresh.json()).toEqual({ root: true, carrier: {} });
    // A context current where the request came in from (an app's own span) is not the request's.
    const ambient = trace.setSpan(
      ROOT_CONTEXT,
      trace.wrapSpanContext({ traceId: TRACE_ID, spanId: 'b7ad6b7169203331', traceFlags: 1 }),
    );
    const inAmbient = await context.with(ambient, () => app.inject({ method: 'GET', url: '/where' }));
    expect(inAmbient.json()).toEqual({ root: true, carrier: {} });
    // Not sampled by the caller: no span here, but its trace id and flag go on unchanged.
    const unsampled = `00-${TRACE_ID}-b7ad6b7169203331-00`;
    const continued = await app.inject({
      method: 'GET',
      url: '/where',
      headers: { traceparent: unsampled, baggage: 'tenant=acme' },
    });
    expect(continued.json()).toEqual({
      root: false,
      carrier: { traceparent: unsampled, baggage: 'tenant=acme' },
    });
    // Baggage alone travels on too, though no trace is recorded.
    const baggage = await app.inject({ method: 'GET', url: '/where', headers: { baggage: 'tenant=acme' } });
    expect(baggage.json()).toEqual({ root: false, carrier: { baggage: 'tenant=acme' } });
    expect(await t.spans()).toEqual([]);
  });

  it('draws requests at sampleRate, and the app’s own root spans at the same rate', async () => {
    t = inMemoryTracing({ sampleRate: 0.5 });
    const app = createApp();
    app.get('/', (ctx) => ctx.text('ok'));
    for (let i = 0; i < 400; i++) await app.inject({ method: 'GET', url: '/' });
    for (let i = 0; i < 400; i++) trace.getTracer('mine').startSpan('own').end();
    const spans = await t.spans();
    const requests = spans.filter((s) => s.name === 'GET /').length;
    const own = spans.filter((s) => s.name === 'own').length;
    // 400 draws at p = 0.5: outside 140..260 is a 1-in-10^9 event.
    expect(requests).toBeGreaterThan(140);
    expect(requests).toBeLessThan(260);
    expect(own).toBeGreaterThan(140);
    expect(own).toBeLessThan(260);
  });

  it('registers W3C propagation globally, for the app’s own code', async () => {
    t = inMemoryTracing();
    const carrier: Record<string, string> = {};
    trace.getTracer(TRACER_NAME).startActiveSpan('x', (span) => {
      propagation.inject(context.active(), carrier);
      span.end();
    });
    expect(carrier.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it.each([
    ['by default as protobuf', undefined, 'application/x-protobuf'],
    ['as JSON when asked', 'http/json', 'application/json'],
  ] as const)('exports OTLP/HTTP %s, with the configured headers', async (_, protocol, contentType) => {
    const { createServer } = await import('node:http');
    const received: { headers: Record<string, unknown>; body: Buffer }[] = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': contentType }).end(protocol === 'http/json' ? '{}' : '');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const { port } = collector.address() as { port: number };
    let tracing: Tracing | undefined;
    try {
      tracing = setupTracing({
        serviceName: 'otlp-test',
        endpoint: `http://127.0.0.1:${port}/v1/traces`,
        headers: { 'x-api-key': 'k1' },
        ...(protocol === undefined ? {} : { protocol }),
      });
      trace.getTracer(TRACER_NAME).startSpan('exported').end();
      await tracing.forceFlush();
      expect(received).toHaveLength(1);
      expect(received[0]!.headers['x-api-key']).toBe('k1');
      expect(received[0]!.headers['content-type']).toBe(contentType);
      // Either encoding carries the span's name and the service's as plain bytes.
      expect(received[0]!.body.includes('exported')).toBe(true);
      expect(received[0]!.body.includes('otlp-test')).toBe(true);
    } finally {
      await tracing?.shutdown();
      await new Promise<void>((resolve) => collector.close(() => resolve()));
    }
  });

  it('refuses an OTLP protocol it cannot export in', () => {
    expect(() => setupTracing({ serviceName: 'x', protocol: 'grpc' as never })).toThrow(
      expect.objectContaining({ code: 'ZEPHYR_ERR_INVALID_ARGUMENT' }),
    );
  });
});

describe('addSqlComment', () => {
  it('appends URL-encoded, sorted key=value pairs before a trailing semicolon', () => {
    t = inMemoryTracing(); // registers the W3C propagator that extract uses
    const c = propagation.extract(ROOT_CONTEXT, { traceparent: TRACEPARENT, tracestate: 'a=1,b=2' });
    expect(addSqlComment('select 1;', c)).toBe(
      `select 1 /*traceparent='${encodeURIComponent(TRACEPARENT)}',tracestate='a%3D1%2Cb%3D2'*/;`,
    );
  });
  it('leaves statements that already carry a comment, or have no trace context, alone', () => {
    t = inMemoryTracing();
    const ctx = propagation.extract(ROOT_CONTEXT, { traceparent: TRACEPARENT });
    expect(addSqlComment('select 1 /* mine */', ctx)).toBe('select 1 /* mine */');
    expect(addSqlComment('select 1 -- mine', ctx)).toBe('select 1 -- mine');
    expect(addSqlComment('select 1', ROOT_CONTEXT)).toBe('select 1');
  });
});
