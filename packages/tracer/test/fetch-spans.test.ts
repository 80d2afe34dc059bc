import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { TRACER_NAME } from '../src/index.js';
import { inMemoryTracing, only, type TestTracing } from './support/in-memory-tracing.js';

let t: TestTracing | undefined;
afterEach(async () => {
  await t?.shutdown();
  t = undefined;
});

/** A plain node:http server that records the headers of each request. */
async function echoServer() {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.statusCode = req.url === '/missing' ? 404 : 200;
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { seen, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('outgoing fetch', () => {
  it('injects traceparent and baggage into fetch made inside a trace, under a CLIENT span', async () => {
    t = inMemoryTracing();
    const server = await echoServer();
    try {
      await trace.getTracer(TRACER_NAME).startActiveSpan('request', async (span) => {
        const baggage = propagation.createBaggage({ tenant: { value: 'acme' } });
        await context.with(propagation.setBaggage(context.active(), baggage), async () => {
          const res = await fetch(`http://127.0.0.1:${server.port}/items?secret=1`);
          await res.text();
        });
        span.end();
      });
      await fetch(`http://127.0.0.1:${server.port}/outside`).then((r) => r.text());
    } finally {
      await server.close();
    }
    const spans = await t.spans();
    const request = only(spans, 'request');
    const client = only(spans, 'GET');
    expect(client.kind).toBe(2); // CLIENT
    expect(client.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(client.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'server.port': server.port,
    });
    // The query string (which may hold secrets) is not recorded.
    expect(client.attributes['url.full']).toBe(`http://127.0.0.1:${server.port}/items`);
    expect(server.seen[0]!.traceparent).toBe(
      `00-${client.spanContext().traceId}-${client.spanContext().spanId}-01`,
    );
    expect(server.seen[0]!.baggage).toBe('tenant=acme');
    // A fetch outside any trace is left alone.
    expect(server.seen[1]!.traceparent).toBeUndefined();
  });

  it('marks a 4xx answer to our own request as an error of the client span', async () => {
    t = inMemoryTracing();
    const server = await echoServer();
    try {
      await trace.getTracer(TRACER_NAME).startActiveSpan('request', async (span) => {
        await fetch(`http://127.0.0.1:${server.port}/missing`).then((r) => r.text());
        span.end();
      });
    } finally {
      await server.close();
    }
    const client = only(await t.spans(), 'GET');
    expect(client.attributes['http.response.status_code']).toBe(404);
    expect(client.status.code).toBe(2);
  });

  it('records a connection failure', async () => {
    t = inMemoryTracing();
    const server = await echoServer();
    await server.close(); // the port is now closed
    await trace.getTracer(TRACER_NAME).startActiveSpan('request', async (span) => {
      await expect(fetch(`http://127.0.0.1:${server.port}/`)).rejects.toThrow();
      span.end();
    });
    const client = only(await t.spans(), 'GET');
    expect(client.status.code).toBe(2);
    expect(client.events.map((e) => e.name)).toContain('exception');
  });
});
