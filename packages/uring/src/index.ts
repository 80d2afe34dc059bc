export type {
  EngineLimits,
  EngineName,
  EngineRequest,
  EngineResponse,
  EngineServer,
  ListenOptions,
  RequestHandler,
} from './engine.js';
export {
  EngineUnavailableError,
  FileOpenError,
  Http3UnavailableError,
  InvalidArgumentError,
  ListenError,
  RequestError,
  ResponseStateError,
  UnsupportedOptionError,
  ZephyrEngineError,
  type ZephyrEngineErrorCode,
} from './errors.js';
export {
  defaultHttp2Settings,
  type Http2Options,
  type Http2Settings,
  http2SettingRanges,
  resolveHttp2Options,
} from './http2-options.js';
export {
  checkHttp3,
  defaultHttp3Settings,
  type Http3Options,
  type Http3RetryPolicy,
  type Http3Settings,
  http3RetryPolicies,
  http3SettingRanges,
  resolveHttp3Options,
} from './http3-option.js';
export { defaultLimits } from './limits.js';
export {
  ENGINE_ENV,
  type EngineSelection,
  FALLBACK_LOGGED_ENV,
  listen,
  reportEngineFallback,
  selectEngine,
} from './listen.js';
export type { Http3Counters } from './native.js';
export { openBeneath, openBeneathAvailable } from './open-beneath.js';
export { type IoUringSupport, ioUringSupported } from './probe.js';
export { emptyTlsCounters, type TlsCounters, type TlsFailureKind } from './tls-counters.js';
export {
  DEFAULT_ALPN,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  MODERN_CIPHERS,
  type ResolvedTlsOptions,
  resolveTlsOptions,
  type TlsCertificate,
  type TlsMinVersion,
  type TlsOptions,
} from './tls-options.js';
export {
  CLOSE_BACKPRESSURE,
  CLOSE_IDLE,
  defaultWebSocketLimits,
  type EngineWebSocket,
  MAX_TOPIC_BYTES,
  resolveWebSocketLimits,
  type UpgradeAnswer,
  type UpgradeHandler,
  type WebSocketHandlers,
  type WebSocketHub,
  type WebSocketLimits,
  type WebSocketSendStatus,
  type WebSocketServing,
} from './websocket.js';
