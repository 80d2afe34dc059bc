import {
  type Context,
  diag,
  ROOT_CONTEXT,
  type SpanContext,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';
import { parseTraceParent, TraceState, W3CBaggagePropagator } from '@opentelemetry/core';

/** What is read of a request here: its header fields, by lower-case name. */
export interface HeaderSource {
  header(name: string): string | undefined;
}

const baggagePropagator = new W3CBaggagePropagator();
const headerGetter: TextMapGetter<HeaderSource> = {
  keys: () => ['baggage'],
  get: (source, key) => source.header(key),
};

/** Length of a version-00 `traceparent`: `00-` + 32 + `-` + 16 + `-` + 2. */
const TRACEPARENT_LENGTH = 55;

/**
 * The caller's context of an incoming request: its W3C `traceparent` (with `tracestate`) and
 * `baggage`, as the OpenTelemetry W3C propagators extract them, or `ROOT_CONTEXT` when it has
 * neither (or they are malformed). Each header is read once. A `traceparent` in the form every
 * tracer sends (version 00, nothing around it) is checked and cut by hand; any other goes to the
 * SDK's own parser, so both accept exactly the same values (a test compares them).
 */
export function incomingContext(source: HeaderSource): Context {
  const traceparent = source.header('traceparent');
  const baggage = source.header('baggage');
  if (traceparent === undefined && baggage === undefined) return ROOT_CONTEXT;
  let ctx = ROOT_CONTEXT;
  try {
    const parent = traceparent ? parseParent(traceparent) : undefined;
    if (parent !== undefined) {
      const state = source.header('tracestate');
      if (state) parent.traceState = new TraceState(state);
      ctx = trace.setSpanContext(ctx, parent);
    }
    if (baggage) ctx = baggagePropagator.extract(ctx, source, headerGetter);
  } catch (err) {
    // As the SDK's composite propagator does: a header no parser copes with is dropped, logged.
    diag.warn('@zephyr/tracer: an incoming trace context could not be read', err);
  }
  return ctx;
}

type MutableSpanContext = { -readonly [K in keyof SpanContext]: SpanContext[K] };

function parseParent(value: string): MutableSpanContext | undefined {
  if (
    value.length !== TRACEPARENT_LENGTH ||
    value.charCodeAt(0) !== 0x30 ||
    value.charCodeAt(1) !== 0x30 ||
    value.charCodeAt(2) !== 0x2d ||
    value.charCodeAt(35) !== 0x2d ||
    value.charCodeAt(52) !== 0x2d
  ) {
    const parsed = parseTraceParent(value);
    return parsed === null ? undefined : { ...parsed, isRemote: true };
  }
  // Shaped as version 00: the SDK's pattern then matches exactly when every id digit is
  // lower-case hex and neither id is all zeros.
  let zeros = true;
  for (let i = 3; i < 35; i++) {
    const d = hexDigit(value.charCodeAt(i));
    if (d < 0) return undefined;
    if (d !== 0) zeros = false;
  }
  if (zeros) return undefined;
  zeros = true;
  for (let i = 36; i < 52; i++) {
    const d = hexDigit(value.charCodeAt(i));
    if (d < 0) return undefined;
    if (d !== 0) zeros = false;
  }
  if (zeros) return undefined;
  const high = hexDigit(value.charCodeAt(53));
  const low = hexDigit(value.charCodeAt(54));
  if (high < 0 || low < 0) return undefined;
  return {
    traceId: value.substring(3, 35),
    spanId: value.substring(36, 52),
    traceFlags: high * 16 + low,
    isRemote: true,
  };
}

/** The value of a lower-case hex digit, or -1. */
function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}
