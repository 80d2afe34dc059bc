export type {
  EngineLimits,
  EngineName,
  EngineRequest,
  EngineResponse,
  EngineServer,
  ListenOptions,
  RequestHandler,
} from './engine.js';
export { type IoUringSupport, ioUringSupported } from './probe.js';
