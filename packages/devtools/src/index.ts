// The public API of @zephyr/devtools.

// --- control socket, REPL, profilers, heap analyzer, dashboard (`zephyr repl|profile|heap`, /_zephyr) ---
export {
  type AttachDevtoolsOptions,
  attachDevtools,
  type Devtools,
  MIN_TOKEN_LENGTH,
} from './attach-devtools.js';
export { ControlClient, type RequestListeners } from './control/control-client.js';
export type { ControlReply, ControlRequest } from './control/frames.js';
export { MAX_REQUEST_LINE } from './control/frames.js';
export {
  appRootOf,
  findControlSocket,
  runtimeDir,
  type SocketLookup,
  socketPathFor,
} from './control/socket-path.js';
export type { ActorTreeNode, DashboardSnapshot } from './dashboard/dashboard-snapshot.js';
export type {
  DevtoolsActorPool,
  DevtoolsActorSystem,
  DevtoolsChildInfo,
  DevtoolsDatabase,
  DevtoolsMigrations,
  DevtoolsSpan,
  DevtoolsSupervisor,
  DevtoolsTrace,
} from './dashboard/dashboard-sources.js';
export { DASHBOARD_PATH } from './dashboard/mount-dashboard.js';
export type { ProcessSample } from './dashboard/process-sampler.js';
export type { RequestStats } from './dashboard/request-metrics.js';
// --- `zephyr dev`: worker generations that take over the port and drain ---
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
  DRAIN_MARGIN_MS,
  type GenerationApp,
  type LoadedGeneration,
  serveGeneration,
} from './dev/serve-generation.js';
export {
  type DevtoolsConfig,
  devtoolsConfigSchema,
  devtoolsOptionsFromConfig,
} from './devtools-config-schema.js';
export {
  ControlProtocolError,
  ControlSocketNotFoundError,
  DashboardUnauthorizedError,
  DevtoolsError,
  InspectorBusyError,
  InvalidArgumentError,
} from './devtools-errors.js';
export { HeapGraph } from './heap/heap-graph.js';
export {
  type ConstructorDelta,
  type ConstructorSummary,
  diffHeapSummaries,
  type HeapDiff,
  type HeapSummary,
  summarizeHeap,
} from './heap/heap-summary.js';
export { MAX_PROFILE_SECONDS } from './profile/capture-cpu-profile.js';
export { type CpuProfile, type FunctionTime, topFunctionsBySelfTime } from './profile/cpu-profile-summary.js';
export { type ReplClientOptions, startReplClient } from './repl/repl-client.js';
export { DEFAULT_REPL_TIMEOUT_MS, type EvalResult, MAX_REPL_OUTPUT } from './repl/repl-evaluator.js';
