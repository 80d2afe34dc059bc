import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { currentTracing, TRACER_NAME, TraceRing } from '../src/index.js';
import { inMemoryTracing, type TestTracing } from './support/in-memory-tracing.js';

let t: TestTracing | undefined;
afterEach(async () => {
  await t?.shutdown();
  t = undefined;
});

function oneTrace(name: string, children: number): void {
  const tracer = trace.getTracer(TRACER_NAME);
  tracer.startActiveSpan(name, (root) => {
    for (let i = 0; i < children; i++) tracer.startSpan(`${name}.${i}`).end();
    root.end();
  });
}

describe('the ring of recent traces', () => {
  it('keeps recent traces in process with no exporter, newest first, with parent links', async () => {
    t = inMemoryTracing({ exporter: 'none' });
    oneTrace('first', 2);
    oneTrace('second', 1);
    const ring = t.tracing.ring!;
    // The devtools dashboard finds it without being handed the setup.
    expect(currentTracing()?.ring).toBe(ring);
    const [newest, older] = ring.traces();
    expect(newest!.spans.map((s) => s.name)).toEqual(['second.0', 'second']);
    expect(older!.spans).toHaveLength(3);
    const root = older!.spans.find((s) => s.name === 'first')!;
    expect(root.parentSpanId).toBeUndefined();
    expect(older!.spans.filter((s) => s.parentSpanId === root.spanId)).toHaveLength(2);
    expect(ring.trace(root.traceId)?.spans).toHaveLength(3);
    expect(ring.trace('0'.repeat(32))).toBeUndefined();
    // Plain data: it serialises for a dashboard.
    expect(JSON.parse(JSON.stringify(ring.traces()))).toHaveLength(2);
  });

  it('is bounded: the oldest trace goes, and a trace keeps at most maxSpansPerTrace spans', async () => {
    t = inMemoryTracing({ exporter: 'none', ring: { maxTraces: 3, maxSpansPerTrace: 4 } });
    for (let i = 0; i < 10; i++) oneTrace(`t${i}`, 0);
    oneTrace('wide', 10);
    const ring = t.tracing.ring!;
    expect(ring.traces().map((x) => x.spans.at(-1)?.name ?? x.spans[0]!.name)).toEqual([
      'wide.3',
      't9',
      't8',
    ]);
    expect(ring.traces()[0]!.spans).toHaveLength(4);
    expect(ring.droppedSpans).toBe(7);
    ring.clear();
    expect(ring.traces()).toEqual([]);
    // Cleared, it fills and wraps around again from empty.
    for (let i = 0; i < 5; i++) oneTrace(`again${i}`, 0);
    expect(ring.traces().map((x) => x.spans[0]!.name)).toEqual(['again4', 'again3', 'again2']);
  });

  it('keeps what each span recorded: kind, times, status and its message, attributes, events', async () => {
    t = inMemoryTracing({ exporter: 'none' });
    const tracer = trace.getTracer(TRACER_NAME);
    const before = Date.now();
    tracer.startActiveSpan('request', { kind: SpanKind.SERVER }, (root) => {
      const query = tracer.startSpan('query', { kind: SpanKind.CLIENT, attributes: { 'db.rows': 3 } });
      query.recordException(new Error('boom'));
      query.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
      query.end();
      root.setAttribute('http.route', '/users/:id');
      root.setStatus({ code: SpanStatusCode.OK });
      root.end();
    });
    const [recorded] = t.tracing.ring!.traces();
    const [query, root] = recorded!.spans;
    expect(query).toMatchObject({
      name: 'query',
      kind: 'CLIENT',
      parentSpanId: root!.spanId,
      status: { code: 'ERROR', message: 'boom' },
      attributes: { 'db.rows': 3 },
    });
    expect(query!.events.map((e) => [e.name, e.attributes['exception.message']])).toEqual([
      ['exception', 'boom'],
    ]);
    expect(root).toMatchObject({ name: 'request', kind: 'SERVER', status: { code: 'OK' }, events: [] });
    expect(root!.status).not.toHaveProperty('message');
    expect(root!.attributes).toEqual({ 'http.route': '/users/:id' });
    expect(root!.startTime).toBeGreaterThanOrEqual(before - 1);
    expect(root!.startTime).toBeLessThanOrEqual(query!.startTime);
    expect(root!.durationMs).toBeGreaterThanOrEqual(query!.durationMs);
    expect(recorded!.startTime).toBe(root!.startTime);
    // What a reader gets is a copy: changing it changes nothing in the ring.
    (root!.attributes as Record<string, unknown>)['http.route'] = 'changed';
    expect(t.tracing.ring!.traces()[0]!.spans[1]!.attributes['http.route']).toBe('/users/:id');
  });

  it("reuses an evicted trace's slot: the new trace shows only its own spans", async () => {
    t = inMemoryTracing({ exporter: 'none', ring: { maxTraces: 2 } });
    oneTrace('wide', 5);
    oneTrace('next', 0);
    oneTrace('narrow', 1); // takes the slot of 'wide' and its six records
    const ring = t.tracing.ring!;
    const [narrow, next] = ring.traces();
    expect(narrow!.spans.map((s) => s.name)).toEqual(['narrow.0', 'narrow']);
    expect(new Set(narrow!.spans.map((s) => s.traceId)).size).toBe(1);
    expect(next!.spans.map((s) => s.name)).toEqual(['next']);
    expect(ring.trace(narrow!.traceId)?.spans).toHaveLength(2);
    ring.clear();
    expect(ring.trace(narrow!.traceId)).toBeUndefined();
  });

  it('refuses hostile options with ZEPHYR_ERR_INVALID_ARGUMENT', () => {
    for (const bad of [
      { maxTraces: 0 },
      { maxTraces: -1 },
      { maxTraces: 1.5 },
      { maxTraces: 1e9 },
      { maxSpansPerTrace: Number.NaN },
    ]) {
      expect(() => new TraceRing(bad)).toThrow(
        expect.objectContaining({ code: 'ZEPHYR_ERR_INVALID_ARGUMENT' }),
      );
    }
    expect(() => new TraceRing(null as never)).toThrow(
      expect.objectContaining({ code: 'ZEPHYR_ERR_INVALID_ARGUMENT' }),
    );
  });

  it('can be left out', async () => {
    t = inMemoryTracing({ ring: false });
    expect(t.tracing.ring).toBeUndefined();
    await t.shutdown();
    t = undefined;
    expect(currentTracing()).toBeUndefined();
  });
});
