import { type TracerProvider, trace } from '@opentelemetry/api';
import { subscribeActorSpans } from './actor-spans.js';
import { subscribeDbSpans } from './db-spans.js';
import { subscribeFetchSpans } from './fetch-spans.js';
import type { RootDecision } from './request-sampler.js';
import { subscribeServerSpans } from './server-spans.js';
import { InvalidArgumentError } from './tracing-errors.js';

/** The instrumentation scope name spans are reported under. */
export const TRACER_NAME = '@zephyr/tracer';

/** Options of {@link instrumentZephyr}. */
export interface InstrumentOptions {
  /** Where spans go. Default: the global provider of `@opentelemetry/api` (your SDK's). */
  readonly tracerProvider?: TracerProvider;
  /** Add a sqlcommenter `traceparent` comment to sampled statements (default false). */
  readonly sqlCommenter?: boolean;
  /** Trace outgoing `fetch`/undici requests and inject W3C headers into them (default true). */
  readonly fetch?: boolean;
}

/** A live subscription to Zephyr's channels. */
export interface ZephyrInstrumentation {
  /** Unsubscribes from every channel: afterwards Zephyr is back to one `hasSubscribers` check. */
  disable(): void;
}

/**
 * Subscribes to the tracing channels of `@zephyr/server`, `@zephyr/db` and `@zephyr/runtime` (and
 * undici's) and makes OpenTelemetry spans through `@opentelemetry/api`. For apps that already run
 * an OTel SDK; `setupTracing` calls it for apps that do not.
 *
 * @example
 * ```ts
 * import { instrumentZephyr } from '@zephyr/tracer';
 * // after your own SDK has registered its tracer provider:
 * const instrumentation = instrumentZephyr();
 * ```
 */
export function instrumentZephyr(options: InstrumentOptions = {}): ZephyrInstrumentation {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('instrumentZephyr options must be an object');
  for (const key of ['sqlCommenter', 'fetch'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean')
      throw new InvalidArgumentError(`instrumentZephyr ${key} must be a boolean`);
  }
  const provider = options.tracerProvider ?? trace.getTracerProvider();
  if (typeof provider?.getTracer !== 'function')
    throw new InvalidArgumentError('instrumentZephyr tracerProvider must be an OpenTelemetry TracerProvider');
  return subscribeZephyr(provider, options);
}

/**
 * `instrumentZephyr` once its options are checked; `setupTracing` passes the draw of its own
 * sampler, so that a request it does not sample costs no span work.
 */
export function subscribeZephyr(
  provider: TracerProvider,
  options: InstrumentOptions,
  decideRoot?: RootDecision,
): ZephyrInstrumentation {
  const tracer = provider.getTracer(TRACER_NAME);
  const stops = [
    subscribeServerSpans(tracer, decideRoot),
    subscribeDbSpans(tracer, { sqlCommenter: options.sqlCommenter ?? false }),
    subscribeActorSpans(tracer),
    ...(options.fetch === false ? [] : [subscribeFetchSpans(tracer)]),
  ];
  let enabled = true;
  return {
    disable() {
      if (!enabled) return;
      enabled = false;
      for (const stop of stops) stop();
    },
  };
}
