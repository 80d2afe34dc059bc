import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { type RecordedSpan, SpanRecord } from './span-record.js';
import { TraceIndex } from './trace-index.js';
import { InvalidArgumentError } from './tracing-errors.js';

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
   * takes (the oldest trace's, once full), so a new trace costs no search for the oldest. The
   * index holds each slot's trace id.
   */
  readonly #index: TraceIndex;
  /**
   * Each slot's span records, reused by the slot's next trace (grown up to `maxSpansPerTrace`),
   * and how many of them hold the slot's trace: ending a span copies a few fields into a record
   * rather than keeping the SDK's span object alive until the trace leaves the ring.
   */
  readonly #records: SpanRecord[][];
  readonly #counts: Int32Array;
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
    this.#index = new TraceIndex(this.maxTraces);
    this.#records = Array.from({ length: this.maxTraces }, () => []);
    this.#counts = new Int32Array(this.maxTraces);
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
      out.push(this.#recordTrace(slot));
    }
    return out;
  }

  /** One trace by id (32 hex digits), or `undefined` when it is not (or no longer) in the ring. */
  trace(traceId: string): RecordedTrace | undefined {
    if (typeof traceId !== 'string') return undefined;
    const slot = this.#index.find(traceId, this.#index.hash(traceId));
    return slot < 0 ? undefined : this.#recordTrace(slot);
  }

  /** Empties the ring. */
  clear(): void {
    this.#index.clear();
    for (const records of this.#records) for (const record of records) record.release();
    this.#counts.fill(0);
    this.#next = 0;
    this.#count = 0;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  // Copies what the dashboard reads into the slot's next record: the SDK's span itself is not
  // kept, so it dies young like the request that made it.
  onEnd(span: ReadableSpan): void {
    const traceId = span.spanContext().traceId;
    const h = this.#index.hash(traceId);
    let slot = this.#index.find(traceId, h);
    if (slot < 0) slot = this.#add(traceId, h);
    const n = this.#counts[slot]!;
    if (n >= this.maxSpansPerTrace) {
      this.#droppedSpans++;
      return;
    }
    const records = this.#records[slot]!;
    let record = records[n];
    if (record === undefined) {
      record = new SpanRecord();
      records.push(record);
    }
    record.fill(span);
    this.#counts[slot] = n + 1;
  }

  /** A new trace, in the oldest trace's slot (its records reused) when the ring is full. */
  #add(traceId: string, h: number): number {
    const slot = this.#next;
    if (this.#index.idAt(slot) === undefined) this.#count++;
    this.#index.put(slot, traceId, h);
    this.#counts[slot] = 0;
    this.#next = slot + 1 === this.maxTraces ? 0 : slot + 1;
    return slot;
  }

  #recordTrace(slot: number): RecordedTrace {
    const traceId = this.#index.idAt(slot)!;
    const records = this.#records[slot]!;
    const spans: RecordedSpan[] = [];
    let startTime = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.#counts[slot]!; i++) {
      const span = records[i]!.toRecordedSpan(traceId);
      if (span.startTime < startTime) startTime = span.startTime;
      spans.push(span);
    }
    return { traceId, startTime, spans };
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function bounded(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new InvalidArgumentError(`TraceRing ${name} must be an integer in 1..${max}, got ${String(value)}`);
  return value;
}
