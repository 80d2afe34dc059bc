import { ActorSystem, type ActorSystemOptions, parseRuntimeConfig } from './actor/actor-system.js';

/**
 * Creates an actor system: validates the `runtime:` config, starts the worker threads
 * (`actor_threads`) and joins the cluster (`supervisor_mode: distributed`) when configured.
 *
 * @example
 * const system = await createActorSystem({ config: { actor_threads: 0 } });
 * const ref = system.spawn(counter);
 * await system.shutdown();
 */
export async function createActorSystem(options: ActorSystemOptions = {}): Promise<ActorSystem> {
  const config = parseRuntimeConfig(options.config);
  const system = new ActorSystem(options, config);
  return system;
}
