export type { ActorContext, ActorDefinition, AnyActorDefinition } from './actor/actor-definition.js';
export { defineActor } from './actor/actor-definition.js';
export type { ActorRef, AskOptions } from './actor/actor-ref.js';
export type {
  ActorSystem,
  ActorSystemOptions,
  SpawnOptions,
  SuperviseOptions,
} from './actor/actor-system.js';
export type { ActorTimers } from './actor/actor-timers.js';
export type { DeadLetter, DeathNotice, ExitReason, Message, ReplyMap, ReplyOf } from './actor/message.js';
export {
  type MessageHeaders,
  type MessagePlacement,
  type ReceiveTraceContext,
  receiveChannel,
  type SendTraceContext,
  sendChannel,
} from './actor/tracing-channels.js';
export type { ClusterOptions, ClusterStats } from './cluster/cluster-link.js';
export type { NatsConnectionOptions } from './cluster/nats-connection.js';
export type { TopicDelivery, TopicRelay, TopicRelayStats } from './cluster/topic-relay.js';
export {
  type RuntimeConfig,
  type RuntimeConfigInput,
  runtimeConfigSchema,
} from './config/runtime-config-schema.js';
export { createActorSystem } from './create-actor-system.js';
export * from './errors.js';
export { ConcurrencyLimiter, type ConcurrencyLimiterOptions } from './limiter/concurrency-limiter.js';
export type { Limiter } from './limiter/limiter.js';
export { type LimiterMiddlewareOptions, limiterMiddleware } from './limiter/limiter-middleware.js';
export { TokenBucketLimiter, type TokenBucketLimiterOptions } from './limiter/token-bucket-limiter.js';
export type { MailboxOptions, OverflowPolicy } from './mailbox/mailbox.js';
export {
  type ActorPool,
  type ActorPoolOptions,
  type ActorPoolStats,
  createActorPool,
} from './pool/actor-pool.js';
export { BufferSlabPool, type BufferSlabPoolOptions } from './pool/buffer-slab-pool.js';
export type { LeakReport } from './pool/leak-tracker.js';
export { ObjectPool, type ObjectPoolOptions } from './pool/object-pool.js';
export {
  type Priority,
  PriorityScheduler,
  type PrioritySchedulerOptions,
  type TaskOptions,
} from './scheduler/priority-scheduler.js';
export {
  ResourceMonitor,
  type ResourceMonitorOptions,
  type ResourceSample,
  type ResourceThresholds,
} from './scheduler/resource-monitor.js';
export type {
  ActorChildSpec,
  Backoff,
  ChildSpec,
  Placement,
  RestartIntensity,
  RestartType,
  Strategy,
  SupervisorChildSpec,
  SupervisorSpec,
} from './supervisor/child-spec.js';
export type { ChildInfo, SupervisorRef, TypedActorChildSpec } from './supervisor/supervisor-ref.js';
export type { ActorThreadOptions } from './threads/thread-options.js';
