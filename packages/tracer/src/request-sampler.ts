import {
  type Attributes,
  type Context,
  createContextKey,
  type Link,
  ROOT_CONTEXT,
  type SpanKind,
} from '@opentelemetry/api';
import { type Sampler, SamplingDecision, type SamplingResult } from '@opentelemetry/sdk-trace';

/**
 * Decides, before any span work, whether a request that starts a new trace is recorded. Only
 * `setupTracing` has one (it owns the sampler); with an app's own SDK every request asks the
 * SDK's sampler through `startSpan`.
 */
export type RootDecision = () => boolean;

/** A root decision drawing `rate` of requests (0..1), the same odds as a trace-id ratio sampler. */
export function ratioDecision(rate: number): RootDecision {
  if (rate >= 1) return () => true;
  if (rate <= 0) return () => false;
  return () => Math.random() < rate;
}

/** Marks the parent context of a request span already decided to be sampled. */
const PRESAMPLED = createContextKey('@zephyr/tracer presampled root');

const PRESAMPLED_ROOT = ROOT_CONTEXT.setValue(PRESAMPLED, true);

/** The parent context for a root request span that `RootDecision` has sampled. */
export function presampled(parent: Context): Context {
  // Most requests start a trace from nothing: one shared context rather than one per request.
  return parent === ROOT_CONTEXT ? PRESAMPLED_ROOT : parent.setValue(PRESAMPLED, true);
}

/** One result for every presampled span: the SDK only reads it. */
const RECORD_AND_SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED });

/**
 * The root sampler of `setupTracing`: a request span carrying the `presampled` mark was already
 * drawn (the draw is made once, before any span exists, so a request that is not sampled does
 * no span work at all) and is recorded; every other root span (an app's own) goes to `fallback`.
 */
export class PresampledRootSampler implements Sampler {
  readonly #fallback: Sampler;

  constructor(fallback: Sampler) {
    this.#fallback = fallback;
  }

  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    if (context.getValue(PRESAMPLED) === true) return RECORD_AND_SAMPLED;
    return this.#fallback.shouldSample(context, traceId, spanName, spanKind, attributes, links);
  }

  toString(): string {
    return `PresampledRootSampler{${this.#fallback.toString()}}`;
  }
}
