import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { TraceIndex } from './trace-index.js';
import { InvalidArgumentError } from './tracing-errors.js';

/** One finished span as the ring keeps it: plain data, ready to serialise for a dashboard. */
export interface RecordedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** The parent span's id; `undefined` for a trace's root (or a span whose parent is remote and unknown). */
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** `INTERNAL`, `SERVER`, `CLIENT`, `PRODUCER` or `CONSUMER`. */
  readonly kind: string;
  /** Start time, milliseconds since the epoch. */
  readonly startTime: number;
  readonly durationMs: number;
  /** `UNSET`, `OK` or `ERROR`, with the message of an error. */
  readonly status: { readonly code: 'UNSET' | 'OK' | 'ERROR'; readonly message?: string };
  readonly attributes: Readonly<Record<string, unknown>>;
  /** Events such as recorded exceptions. */
  readonly events: readonly {
    readonly name: string;
    readonly attributes: Readonly<Record<string, unknown>>;
  }[];
}

/** One trace: its spans in the order they ended. */
export interface RecordedTrace {
  readonly traceId: string;
  /** The earliest span start, milliseconds since the epoch. */
  readonly startTime: number;
  readonly spans: readonly RecordedSpan[];
}

/** Options of {@link TraceRing}. */
export interface TraceRingOptions {
  /** Most traces kept; the oldest is dropped for a new one. Default 100. */
  readonly maxTraces?: number;
  /** Most spans kept per trace; later ones are counted in `droppedSpans`, not kept. Default 500. */
  readonly maxSpansPerTrace?: number;
}

const KINDS = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] as const;
const STATUS = ['UNSET', 'OK', 'ERROR'] as const;
const DEFAULT_MAX_TRACES = 100;
const DEFAULT_MAX_SPANS = 500;
/** Upper bounds on the options, so a typo cannot make the ring hold the heap. */
const LIMIT_TRACES = 100_000;
const LIMIT_SPANS = 100_000;

/**
 * A bounded in-process record of recent traces, fed as a span processor (it needs no exporter).
 * The devtools dashboard reads it through {@link TraceRing.traces} and {@link TraceRing.trace}.
 * Memory is bounded by `maxTraces × maxSpansPerTrace` spans.
 *
 * @example
 * ```ts
 * const ring = new TraceRing({ maxTraces: 50 });
 * // setupTracing does this for you; with your own SDK, add it as a span processor:
 * new TracerProvider({ spanProcessors: [ring, new BatchSpanProcessor({ exporter })] });
 * ring.traces()[0]?.spans.map((s) => s.name);
 * ```
 */
export class TraceRing implements SpanProcessor {
  readonly maxTraces: number;
  readonly maxSpansPerTrace: number;
  /**
   * The kept traces, one per slot, a circular buffer: `#next` is the slot the next new trace
   * takes (the oldest trace's, once full), so a new trace costs no search for the oldest.
   */
  readonly #ids: (string | undefined)[];
  readonly #spans: (ReadableSpan[] | undefined)[];
  /** Each slot's trace id hash, so evicting it hashes nothing. */
  readonly #hashes: Int32Array;
  readonly #index: TraceIndex;
  #next = 0;
  #count = 0;
  #droppedSpans = 0;

  constructor(options: TraceRingOptions = {}) {
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError('TraceRing options must be an object');
    this.maxTraces = bounded('maxTraces', options.maxTraces ?? DEFAULT_MAX_TRACES, LIMIT_TRACES);
    this.maxSpansPerTrace = bounded(
      'maxSpansPerTrace',
      options.maxSpansPerTrace ?? DEFAULT_MAX_SPANS,
      LIMIT_SPANS,
    );
    this.#ids = new Array<string | undefined>(this.maxTraces).fill(undefined);
    this.#spans = new Array<ReadableSpan[] | undefined>(this.maxTraces).fill(undefined);
    this.#hashes = new Int32Array(this.maxTraces);
    this.#index = new TraceIndex(this.maxTraces);
  }

  /** Spans not kept because their trace was full. */
  get droppedSpans(): number {
    return this.#droppedSpans;
  }

  /** Recent traces, newest first. */
  traces(): RecordedTrace[] {
    const out: RecordedTrace[] = [];
    for (let k = 1; k <= this.#count; k++) {
      const slot = (this.#next - k + this.maxTraces) % this.maxTraces;
      out.push(recordTrace(this.#ids[slot]!, this.#spans[slot]!));
    }
    return out;
  }

  /** One trace by id (32 hex digits), or `undefined` when it is not (or no longer) in the ring. */
  trace(traceId: string): RecordedTrace | undefined {
    if (typeof traceId !== 'string') return undefined;
    const slot = this.#index.get(traceId, this.#index.hash(traceId));
    return slot < 0 ? undefined : recordTrace(traceId, this.#spans[slot]!);
  }

  /** Empties the ring. */
  clear(): void {
    this.#index.clear();
    this.#ids.fill(undefined);
    this.#spans.fill(undefined);
    this.#next = 0;
    this.#count = 0;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  // Keeps the finished span itself (the SDK ignores changes after `end`) and makes the plain
  // copy only when read: the dashboard reads now and then, spans end on every sampled request.
  onEnd(span: ReadableSpan): void {
    const traceId = span.spanContext().traceId;
    const h = this.#index.hash(traceId);
    const slot = this.#index.get(traceId, h);
    if (slot < 0) {
      this.#add(traceId, h, span);
      return;
    }
    const spans = this.#spans[slot]!;
    if (spans.length >= this.maxSpansPerTrace) {
      this.#droppedSpans++;
      return;
    }
    spans.push(span);
  }

  /** A new trace, in the oldest trace's slot when the ring is full. */
  #add(traceId: string, h: number, span: ReadableSpan): void {
    const slot = this.#next;
    const oldest = this.#ids[slot];
    if (oldest === undefined) this.#count++;
    else this.#index.delete(oldest, this.#hashes[slot]!);
    this.#ids[slot] = traceId;
    this.#hashes[slot] = h;
    this.#spans[slot] = [span];
    this.#index.set(traceId, h, slot);
    this.#next = slot + 1 === this.maxTraces ? 0 : slot + 1;
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function recordTrace(traceId: string, spans: readonly ReadableSpan[]): RecordedTrace {
  const recorded = spans.map(record);
  let startTime = Number.POSITIVE_INFINITY;
  for (const span of recorded) if (span.startTime < startTime) startTime = span.startTime;
  return { traceId, startTime, spans: recorded };
}

function record(span: ReadableSpan): RecordedSpan {
  const ctx = span.spanContext();
  const start = span.startTime[0] * 1000 + span.startTime[1] / 1e6;
  const duration = span.duration[0] * 1000 + span.duration[1] / 1e6;
  const status =
    span.status.message === undefined
      ? { code: STATUS[span.status.code] ?? 'UNSET' }
      : { code: STATUS[span.status.code] ?? 'UNSET', message: span.status.message };
  return {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    kind: KINDS[span.kind] ?? 'INTERNAL',
    startTime: start,
    durationMs: duration,
    status,
    attributes: { ...span.attributes },
    events: span.events.map((e) => ({ name: e.name, attributes: { ...(e.attributes ?? {}) } })),
  };
}

function bounded(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new InvalidArgumentError(`TraceRing ${name} must be an integer in 1..${max}, got ${String(value)}`);
  return value;
}
