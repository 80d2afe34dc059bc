// The public API of @zephyr/tracer; nothing else is imported from outside the package.
export type {
  AcquireChannelContext,
  QueryChannelContext,
  ReceiveChannelContext,
  RequestChannelContext,
  SendChannelContext,
} from './channel-contexts.js';
export { CHANNELS } from './channel-contexts.js';
export {
  type InstrumentOptions,
  instrumentZephyr,
  TRACER_NAME,
  type ZephyrInstrumentation,
} from './instrument-zephyr.js';
export {
  currentTracing,
  DEFAULT_OTLP_ENDPOINT,
  type OtlpProtocol,
  type SetupTracingOptions,
  setupTracing,
  type Tracing,
} from './setup-tracing.js';
export type { RecordedSpan } from './span-record.js';
export { addSqlComment } from './sql-commenter.js';
export {
  type RecordedTrace,
  TraceRing,
  type TraceRingOptions,
} from './trace-ring.js';
export {
  type TracingConfig,
  tracingConfigSchema,
  tracingOptionsFromConfig,
} from './tracing-config-schema.js';
export { InvalidArgumentError, TracingAlreadySetUpError } from './tracing-errors.js';
