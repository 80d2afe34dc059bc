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
export type { ClusterOptions } from './cluster/cluster-link.js';
export { parseSize } from './config/parse-size.js';
export {
  type RuntimeConfig,
  type RuntimeConfigInput,
  runtimeConfigSchema,
} from './config/runtime-config-schema.js';
export { createActorSystem } from './create-actor-system.js';
export * from './errors.js';
export type { MailboxOptions, OverflowPolicy } from './mailbox/mailbox.js';
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
