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
  InvalidArgumentError,
  InvalidOptionError,
  ListenError,
  RequestError,
  ResponseStateError,
  UnsupportedOptionError,
  ZephyrEngineError,
  type ZephyrEngineErrorCode,
} from './errors.js';
export { defaultLimits } from './limits.js';
export { ENGINE_ENV, type EngineSelection, listen, selectEngine } from './listen.js';
export { type IoUringSupport, ioUringSupported } from './probe.js';
