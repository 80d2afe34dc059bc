export {
  codeFrame,
  describeStartupError,
  locateError,
  type SourceLocation,
} from './dev/code-frame.js';
export {
  type DevServer,
  type DevServerOptions,
  type ReloadResult,
  startDevServer,
} from './dev/dev-server.js';
export {
  type GenerationApp,
  HANDOVER_MAX_MS,
  HANDOVER_QUIET_MS,
  type LoadedGeneration,
  serveGeneration,
} from './dev/serve-generation.js';
