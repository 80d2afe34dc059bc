import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';

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

const KINDS = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] as const;
const STATUS = ['UNSET', 'OK', 'ERROR'] as const;
const NO_EVENTS: readonly TimedEvent[] = Object.freeze([]);
const NO_ATTRIBUTES: Attributes = Object.freeze({});

/**
 * The ring's slot for one span, filled when the span ends and reused once its trace leaves the
 * ring: the SDK's span object (its context, three time tuples, status, links, events, processor
 * and limits) is not kept, so a sampled request leaves nothing for the garbage collector to
 * promote but its ids and its attributes. Numbers are kept as numbers (the kind and status as
 * their enum values, times in milliseconds) and turned into a {@link RecordedSpan} only when read.
 */
export class SpanRecord {
  spanId = '';
  parentSpanId: string | undefined = undefined;
  name = '';
  kind = 0;
  startMs = 0;
  durationMs = 0;
  statusCode = 0;
  statusMessage: string | undefined = undefined;
  /** The SDK's own attributes object: the SDK changes nothing of an ended span. */
  attributes: Attributes = NO_ATTRIBUTES;
  /** The SDK's events array, left out when empty (most spans). */
  events: readonly TimedEvent[] = NO_EVENTS;

  /** Copies what the ring shows of `span`, which has just ended. */
  fill(span: ReadableSpan): void {
    this.spanId = span.spanContext().spanId;
    this.parentSpanId = span.parentSpanContext?.spanId;
    this.name = span.name;
    this.kind = span.kind;
    const start = span.startTime;
    const duration = span.duration;
    this.startMs = start[0] * 1000 + start[1] / 1e6;
    this.durationMs = duration[0] * 1000 + duration[1] / 1e6;
    this.statusCode = span.status.code;
    this.statusMessage = span.status.message;
    this.attributes = span.attributes;
    this.events = span.events.length === 0 ? NO_EVENTS : span.events;
  }

  /** Lets go of the span's strings and objects (the record itself stays for reuse). */
  release(): void {
    this.spanId = '';
    this.parentSpanId = undefined;
    this.name = '';
    this.statusMessage = undefined;
    this.attributes = NO_ATTRIBUTES;
    this.events = NO_EVENTS;
  }

  /** The plain, serialisable copy a reader gets. */
  toRecordedSpan(traceId: string): RecordedSpan {
    const code = STATUS[this.statusCode] ?? 'UNSET';
    return {
      traceId,
      spanId: this.spanId,
      parentSpanId: this.parentSpanId,
      name: this.name,
      kind: KINDS[this.kind] ?? 'INTERNAL',
      startTime: this.startMs,
      durationMs: this.durationMs,
      status: this.statusMessage === undefined ? { code } : { code, message: this.statusMessage },
      attributes: { ...this.attributes },
      events: this.events.map((e) => ({ name: e.name, attributes: { ...(e.attributes ?? {}) } })),
    };
  }
}
