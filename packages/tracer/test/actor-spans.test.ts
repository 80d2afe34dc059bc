import { trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import {
  type ActorSystem,
  createActorPool,
  createActorSystem,
  defineActor,
  receiveChannel,
  sendChannel,
} from '@zephyr/runtime';
import { actorRoute, createApp } from '@zephyr/server';
import { afterEach, describe, expect, it } from 'vitest';
import { TRACER_NAME } from '../src/index.js';
import { routeSpanReporter, spanReporter } from './fixtures/traced-actors.js';
import {
  inMemoryTracing,
  only,
  type TestTracing,
  TRACE_ID,
  TRACEPARENT,
} from './support/in-memory-tracing.js';

let t: TestTracing | undefined;
let system: ActorSystem | undefined;
afterEach(async () => {
  await system?.shutdown();
  system = undefined;
  await t?.shutdown();
  t = undefined;
});

const modules = [new URL('./fixtures/traced-actors.js', import.meta.url)];

/** A main-thread actor that reports the span its handler runs in (async, to cross an await). */
const reporter = defineActor<{ type: 'where' }, { where: { traceId: string; spanId: string } | null }>()({
  start: () => null,
  async receive() {
    await new Promise((r) => setTimeout(r, 1));
    const span = trace.getActiveSpan();
    return span === undefined
      ? null
      : { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId };
  },
});

function inSpan<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, async (span) => {
    try {
      return await fn();
    } finally {
      span.end();
    }
  });
}

describe('actor spans', () => {
  it("makes the handler's CONSUMER span a child of the sender's span (local actor)", async () => {
    t = inMemoryTracing();
    system = await createActorSystem();
    const ref = system.spawn(reporter);
    const seen = await inSpan('request', () => ref.ask({ type: 'where' }));
    const spans = await t.spans();
    const request = only(spans, 'request');
    const process = only(spans, 'process where');
    expect(process.kind).toBe(4); // CONSUMER
    expect(process.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(process.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(seen).toEqual({ traceId: request.spanContext().traceId, spanId: process.spanContext().spanId });
    expect(process.attributes).toMatchObject({
      'messaging.system': 'zephyr',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'ask',
      'zephyr.actor.message_type': 'where',
    });
  });

  it('runs a message sent outside any trace with no current span, even when a traced send scheduled the actor', async () => {
    t = inMemoryTracing();
    system = await createActorSystem();
    const ref = system.spawn(reporter);
    // Both land in one dispatcher turn; the second must not inherit the first one's context.
    const traced = inSpan('request', () => ref.ask({ type: 'where' }));
    const untraced = ref.ask({ type: 'where' });
    expect(await untraced).toBeNull();
    expect(await traced).not.toBeNull();
    expect((await t.spans()).filter((s) => s.name === 'process where')).toHaveLength(1);
  });

  it('records a failing handler as an error', async () => {
    t = inMemoryTracing();
    system = await createActorSystem();
    const failing = system.spawn(
      defineActor<{ type: 'x' }>()({
        start: () => null,
        receive(): never {
          throw Object.assign(new Error('nope'), { code: 'ZEPHYR_ERR_TEST' });
        },
      }),
    );
    await expect(inSpan('request', () => failing.ask({ type: 'x' }))).rejects.toThrow();
    const span = only(await t.spans(), 'process x');
    expect(span.status.code).toBe(2);
    expect(span.attributes['error.type']).toBe('ZEPHYR_ERR_TEST');
  });

  it('continues the trace in an actor on a worker thread, under a PRODUCER send span', async () => {
    t = inMemoryTracing();
    system = await createActorSystem({ config: { actor_threads: 1 }, modules });
    const ref = system.spawn(spanReporter);
    const seen = await inSpan('request', () => ref.ask({ type: 'report' }));
    const spans = await t.spans();
    const request = only(spans, 'request');
    const send = only(spans, 'send report');
    expect(send.kind).toBe(3); // PRODUCER
    expect(send.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(send.attributes['zephyr.actor.placement']).toBe('thread');
    // The worker's own SDK made the CONSUMER span, a child of the send span, in the same trace.
    expect(seen).toMatchObject({
      name: 'process report',
      traceId: request.spanContext().traceId,
      parentSpanId: send.spanContext().spanId,
    });
    // Outside a trace nothing is carried: the worker's handler sees no span.
    expect(await ref.ask({ type: 'report' })).toBeNull();
  });

  it("runs an actor route's work on an actor thread as a child of the request span", async () => {
    t = inMemoryTracing();
    system = await createActorSystem({ config: { actor_threads: 1 }, modules });
    const app = createApp({ production: true });
    app.post('/work', actorRoute(createActorPool(system, routeSpanReporter)));
    const res = await app.inject({ method: 'POST', url: '/work', headers: { traceparent: TRACEPARENT } });
    expect(res.status).toBe(200);
    const spans = await t.spans();
    const request = only(spans, 'POST /work');
    expect(request.spanContext().traceId).toBe(TRACE_ID);
    const send = only(spans, 'send request');
    expect(send.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(res.json()).toMatchObject({
      name: 'process request',
      traceId: TRACE_ID,
      parentSpanId: send.spanContext().spanId,
    });
  });

  it('keeps the trace of messages that waited for space in a backpressure mailbox (ask and send)', async () => {
    t = inMemoryTracing();
    system = await createActorSystem();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handled: { type: string; traceId: string | null; parentSpanId: string | null }[] = [];
    const ref = system.spawn(
      defineActor<{ type: 'hold' } | { type: 'fill' } | { type: 'where' }>()({
        mailbox: { capacity: 2, overflow: 'backpressure' },
        start: () => null,
        async receive(_state, msg) {
          if (msg.type === 'hold') await gate;
          const span = trace.getActiveSpan();
          handled.push({
            type: msg.type,
            traceId: span?.spanContext().traceId ?? null,
            // The SDK's span is a ReadableSpan; the API type does not show its parent.
            parentSpanId: (span as ReadableSpan | undefined)?.parentSpanContext?.spanId ?? null,
          });
        },
      }),
    );
    // The mailbox is full (2): the traced ask and send below wait for space.
    ref.tell({ type: 'hold' });
    ref.tell({ type: 'fill' });
    let asked: Promise<unknown> | undefined;
    let sent: Promise<void> | undefined;
    const ids = trace.getTracer(TRACER_NAME).startActiveSpan('request', (span) => {
      asked = ref.ask({ type: 'where' });
      sent = ref.send({ type: 'where' });
      span.end();
      return span.spanContext();
    });
    release();
    await asked;
    await sent;
    await new Promise<void>((resolve) => {
      const poll = () => (handled.length === 4 ? resolve() : setTimeout(poll, 5));
      poll();
    });
    expect(handled.map((h) => [h.type, h.traceId])).toEqual([
      ['hold', null],
      ['fill', null],
      ['where', ids.traceId],
      ['where', ids.traceId],
    ]);
    for (const h of handled.slice(2)) expect(h.parentSpanId).toBe(ids.spanId);
  });

  it('has no subscribers on the runtime channels without tracing', async () => {
    expect(sendChannel.hasSubscribers).toBe(false);
    expect(receiveChannel.hasSubscribers).toBe(false);
  });
});
