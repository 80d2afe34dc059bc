import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AlwaysOffSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { createApp, requestChannel, requestEndChannel, requestScopeChannel } from '@zephyr/server';
import { afterEach, describe, expect, it } from 'vitest';
import { instrumentZephyr, type ZephyrInstrumentation } from '../src/index.js';
import { TRACE_ID, TRACEPARENT } from './support/in-memory-tracing.js';

let instrumentation: ZephyrInstrumentation | undefined;
let provider: TracerProvider | undefined;
afterEach(async () => {
  instrumentation?.disable();
  instrumentation = undefined;
  await provider?.shutdown();
  provider = undefined;
  context.disable();
  propagation.disable();
});

/** An app's own SDK setup, sampling only what its callers sampled. */
function ownSdk(): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  provider = new TracerProvider({
    sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  instrumentation = instrumentZephyr({ tracerProvider: provider });
  return exporter;
}

describe('instrumentZephyr with the app’s own SDK', () => {
  it('asks the SDK’s sampler: a request it does not sample enters no context', async () => {
    const exporter = ownSdk();
    const app = createApp();
    app.get('/where', async (ctx) => {
      await new Promise((r) => setTimeout(r, 1));
      const span = trace.getActiveSpan();
      return ctx.json({ root: context.active() === ROOT_CONTEXT, traceId: span?.spanContext().traceId });
    });
    expect((await app.inject({ method: 'GET', url: '/where' })).json()).toEqual({ root: true });
    const traced = await app.inject({ method: 'GET', url: '/where', headers: { traceparent: TRACEPARENT } });
    expect(traced.json()).toEqual({ root: false, traceId: TRACE_ID });
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['GET /where']);
  });

  it('validates its options and unsubscribes on disable', () => {
    const invalid = expect.objectContaining({ code: 'ZEPHYR_ERR_INVALID_ARGUMENT' });
    expect(() => instrumentZephyr(null as never)).toThrow(invalid);
    expect(() => instrumentZephyr({ fetch: 'yes' as never })).toThrow(invalid);
    expect(() => instrumentZephyr({ tracerProvider: {} as never })).toThrow(invalid);
    ownSdk();
    // The tracer hears requests on the scope and end channels only: nobody's `zephyr:server:request`
    // events are published for a request it declined.
    expect(requestChannel.hasSubscribers).toBe(false);
    expect(requestScopeChannel.hasSubscribers).toBe(true);
    expect(requestEndChannel.hasSubscribers).toBe(true);
    instrumentation?.disable();
    expect(requestScopeChannel.hasSubscribers).toBe(false);
    expect(requestEndChannel.hasSubscribers).toBe(false);
  });
});
