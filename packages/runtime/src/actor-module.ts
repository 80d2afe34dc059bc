/**
 * `@zephyr/runtime/actor`: what a module of actor kinds needs (`defineActor`, the actor types and
 * the error classes) and nothing else. The actor threads import these modules, and the package's
 * main entry would bring the config schema (zod), limiters, scheduler and pools into every
 * thread: about 4 MB more heap in each, kept for the thread's life. Either entry gives the same
 * `defineActor`, so kinds written against the main one keep working.
 *
 * @example
 * import { defineActor } from '@zephyr/runtime/actor';
 * export const hasher = defineActor()({ kind: 'hasher', start: () => null, receive: (_s, msg) => ({ body: msg.body }) });
 */
export type { ActorContext, ActorDefinition, AnyActorDefinition } from './actor/actor-definition.js';
export { defineActor } from './actor/actor-definition.js';
export type { ActorRef, AskOptions } from './actor/actor-ref.js';
export type { ActorTimers } from './actor/actor-timers.js';
export type { DeadLetter, DeathNotice, ExitReason, Message, ReplyMap, ReplyOf } from './actor/message.js';
export * from './errors.js';
