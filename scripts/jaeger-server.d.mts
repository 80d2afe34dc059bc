/** A real Jaeger (all-in-one, in-memory storage) on free loopback ports. */
export interface Jaeger {
  /** OTLP/HTTP traces URL. */
  readonly otlpEndpoint: string;
  /** Base URL of the query API (`/api/traces/<id>`). */
  readonly queryUrl: string;
  stop(): Promise<void>;
}

/** One span as Jaeger's query API returns it. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
  processID: string;
}

/** One trace as Jaeger's query API returns it. */
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/**
 * Builds Jaeger when missing (scripts/jaeger.sh: from the Go module proxy, cached outside the
 * repo) and starts it with a config naming free ports, so parallel runs do not collide.
 */
export function startJaeger(): Promise<Jaeger>;

/** Polls the query API until `ready(trace)` holds (spans arrive in batches), or fails with what it saw. */
export function waitForTrace(
  jaeger: Jaeger,
  traceId: string,
  ready: (trace: JaegerTrace) => boolean,
  timeoutMs?: number,
): Promise<JaegerTrace>;
