import { ActorSystem, type ActorSystemOptions } from './actor/actor-system.js';
import { loadKinds, moduleUrl } from './actor/kind-registry.js';
import { parseRuntimeConfig } from './config/runtime-config-schema.js';
import { threadStartOptions } from './threads/thread-options.js';
import { ThreadPool, threadCount } from './threads/thread-pool.js';

/**
 * Creates an actor system: validates the `runtime:` config, starts the worker threads
 * (`actor_threads`) and joins the cluster (`supervisor_mode: distributed`) when configured.
 *
 * @example
 * const system = await createActorSystem({ config: { actor_threads: 2 }, modules: [new URL('./actors.js', import.meta.url)] });
 * const ref = system.spawn(counter); // counter has a kind: it runs on a worker thread
 * await system.shutdown();
 */
export async function createActorSystem(options: ActorSystemOptions = {}): Promise<ActorSystem> {
  const config = parseRuntimeConfig(options.config);
  const start = threadStartOptions(options.threads);
  const system = new ActorSystem(options, config);
  const modules = (options.modules ?? []).map(moduleUrl);
  const threads = threadCount(config.actor_threads);
  if (threads > 0) {
    const pool = new ThreadPool(system, threads, modules, start);
    system.placements.thread = pool;
    try {
      await pool.ready();
    } catch (err) {
      await system.shutdown();
      throw err;
    }
  }
  if (config.supervisor_mode === 'distributed') {
    const natsUrl = config.nats_url;
    try {
      // Loaded only here: every actor thread imports this package, and the NATS client alone is
      // about 2.5 MB of heap that a thread would carry for nothing.
      const { ClusterLink } = await import('./cluster/cluster-link.js');
      system.placements.cluster = await ClusterLink.join(
        system,
        natsUrl,
        await loadKinds(modules),
        options.cluster ?? {},
      );
    } catch (err) {
      await system.shutdown();
      throw err;
    }
  }
  return system;
}
