import { context, propagation } from '@opentelemetry/api';
import { createApp, HttpError, requestEndChannel, requestScopeChannel } from '@zephyr/server';
import { afterEach, describe, expect, it } from 'vitest';
import {
  inMemoryTracing,
  only,
  PARENT_ID,
  type TestTracing,
  TRACE_ID,
  TRACEPARENT,
} from './support/in-memory-tracing.js';

let t: TestTracing | undefined;
afterEach(async () => {
  await t?.shutdown();
  t = undefined;
});

function app() {
  const a = createApp();
  a.get('/users/:id', (ctx) => ctx.json({ id: ctx.params.id }));
  a.get('/async/:id', async (ctx) => {
    await new Promise((r) => setTimeout(r, 5));
    return ctx.json({ baggage: propagation.getBaggage(context.active())?.getEntry('tenant')?.value ?? null });
  });
  a.get('/boom', () => {
    throw new Error('kaboom');
  });
  a.get('/teapot', () => {
    throw new HttpError(418, 'short and stout');
  });
  return a;
}

describe('HTTP server spans', () => {
  it('makes a SERVER span per request, named by route, continuing the incoming traceparent', async () => {
    t = inMemoryTracing();
    const res = await app().inject({
      method: 'GET',
      url: '/users/42?x=1',
      headers: { traceparent: TRACEPARENT, 'user-agent': 'vitest' },
    });
    expect(res.status).toBe(200);
    const span = only(await t.spans(), 'GET /users/:id');
    expect(span.kind).toBe(1); // SERVER
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(span.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/users/:id',
      'url.path': '/users/42',
      'http.response.status_code': 200,
      'user_agent.original': 'vitest',
    });
    expect(span.status.code).toBe(0);
  });

  it('starts a new trace without a traceparent, and ignores a malformed one', async () => {
    t = inMemoryTracing();
    await app().inject({ method: 'GET', url: '/users/1' });
    await app().inject({ method: 'GET', url: '/users/2', headers: { traceparent: '00-zz-nothex-01' } });
    const spans = (await t.spans()).filter((s) => s.name === 'GET /users/:id');
    expect(spans).toHaveLength(2);
    for (const s of spans) {
      expect(s.parentSpanContext).toBeUndefined();
      expect(s.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(spans[0]!.spanContext().traceId).not.toBe(spans[1]!.spanContext().traceId);
  });

  it('keeps the span current across an async handler and carries baggage', async () => {
    t = inMemoryTracing();
    const res = await app().inject({
      method: 'GET',
      url: '/async/1',
      headers: { traceparent: TRACEPARENT, baggage: 'tenant=acme' },
    });
    expect(res.json()).toEqual({ baggage: 'acme' });
    const span = only(await t.spans(), 'GET /async/:id');
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.attributes['http.response.status_code']).toBe(200);
  });

  it('records a 5xx as an error with an exception event; a 4xx is not an error', async () => {
    t = inMemoryTracing();
    const a = app();
    expect((await a.inject({ method: 'GET', url: '/boom' })).status).toBe(500);
    expect((await a.inject({ method: 'GET', url: '/teapot' })).status).toBe(418);
    expect((await a.inject({ method: 'GET', url: '/nowhere' })).status).toBe(404);
    const spans = await t.spans();
    const boom = only(spans, 'GET /boom');
    expect(boom.status.code).toBe(2); // ERROR
    expect(boom.attributes['error.type']).toBe('Error');
    expect(boom.events.map((e) => e.name)).toContain('exception');
    const teapot = only(spans, 'GET /teapot');
    expect(teapot.status.code).toBe(0);
    expect(teapot.attributes['http.response.status_code']).toBe(418);
    const missing = only(spans, 'GET');
    expect(missing.attributes['http.response.status_code']).toBe(404);
    expect(missing.attributes['http.route']).toBeUndefined();
  });

  it('serves through the real engine too (app.listen hands the same traced handle to it)', async () => {
    t = inMemoryTracing();
    const server = await app().listen({ port: 0, engine: 'node' });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/users/7`, {
        headers: { traceparent: TRACEPARENT },
      });
      expect(res.status).toBe(200);
    } finally {
      await server.close();
    }
    const span = only(await t.spans(), 'GET /users/:id');
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.attributes['client.address']).toBe('127.0.0.1');
  });

  it('survives hostile trace headers: oversized or malformed ones are ignored, the request is served', async () => {
    t = inMemoryTracing();
    const a = app();
    const hostile: Record<string, string>[] = [
      { traceparent: `00-${'f'.repeat(32)}-${'f'.repeat(16)}-01${'x'.repeat(100_000)}` },
      { traceparent: '00-00000000000000000000000000000000-0000000000000000-01' },
      { traceparent: TRACEPARENT, tracestate: Array.from({ length: 5000 }, (_, i) => `k${i}=v`).join(',') },
      {
        traceparent: TRACEPARENT,
        baggage: Array.from({ length: 5000 }, (_, i) => `k${i}=${'v'.repeat(50)}`).join(','),
      },
      { baggage: '%%%,=,;;;,\u0000' },
    ];
    for (const headers of hostile) {
      const res = await a.inject({ method: 'GET', url: '/async/1', headers });
      expect(res.status, JSON.stringify(Object.keys(headers))).toBe(200);
    }
    const spans = (await t.spans()).filter((s) => s.name === 'GET /async/:id');
    expect(spans).toHaveLength(hostile.length);
    // The all-zero and oversized traceparents are invalid: those requests start their own traces.
    expect(spans[0]!.spanContext().traceId).not.toBe('f'.repeat(32));
    expect(spans[1]!.parentSpanContext).toBeUndefined();
  });

  it('leaves the channels without subscribers after shutdown', async () => {
    t = inMemoryTracing();
    expect(requestScopeChannel.hasSubscribers).toBe(true);
    expect(requestEndChannel.hasSubscribers).toBe(true);
    await t.shutdown();
    t = undefined;
    expect(requestScopeChannel.hasSubscribers).toBe(false);
    expect(requestEndChannel.hasSubscribers).toBe(false);
  });
});
