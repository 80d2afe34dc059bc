import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { type SetupTracingOptions, setupTracing, type Tracing } from '../../src/index.js';

/** A real SDK setup exporting to memory, as an app's own pipeline would. */
export interface TestTracing {
  readonly tracing: Tracing;
  /** Flushes the batch processor and returns every finished span. */
  spans(): Promise<ReadableSpan[]>;
  shutdown(): Promise<void>;
}

export function inMemoryTracing(options: Partial<SetupTracingOptions> = {}): TestTracing {
  const exporter = new InMemorySpanExporter();
  const tracing = setupTracing({ serviceName: 'test', exporter, exportDelayMs: 10, ...options });
  return {
    tracing,
    async spans() {
      await tracing.forceFlush();
      return exporter.getFinishedSpans();
    },
    shutdown: () => tracing.shutdown(),
  };
}

/** The one span named `name`; fails loudly when there are none or several. */
export function only(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  if (found.length !== 1)
    throw new Error(
      `expected one span "${name}", found ${found.length} in [${spans.map((s) => s.name).join(', ')}]`,
    );
  return found[0]!;
}

export const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
export const PARENT_ID = 'b7ad6b7169203331';
export const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;
