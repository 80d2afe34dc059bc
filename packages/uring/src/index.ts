export type {
  EngineLimits,
  EngineName,
  EngineRequest,
  EngineResponse,
  EngineServer,
  ListenOptions,
  RequestHandler,
} from './engine.js';
export { ioUringSupported, type IoUringSupport } from './probe.js';
