/**
 * `zephyr/actor`: what a module of actor kinds needs (`defineActor`, the actor types, the
 * runtime's error classes), from `@zephyr/runtime/actor`. Every actor thread imports the actor
 * modules, and `zephyr` itself would load the whole framework there (server, engine, db, tracer:
 * about 23 MB of heap in each thread after boot, against 4.7 MB with this entry).
 *
 * @example
 * import type { ActorRouteReply, ActorRouteRequest } from 'zephyr';
 * import { defineActor } from 'zephyr/actor';
 */
export * from '@zephyr/runtime/actor';
