import { type ActorSystem, type ClusterOptions, createActorSystem } from '../src/index.js';

export const actorModule = new URL('./fixtures/thread-actors.js', import.meta.url);

/** Polls `probe` until it yields a value (errors count as "not yet"). */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve()
      .then(probe)
      .catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A node of a test cluster in this process: hosting nodes load the fixture actors. */
export function joinNode(
  nodeId: string,
  natsUrl: string,
  cluster: ClusterOptions,
  hosts: boolean,
): Promise<ActorSystem> {
  return createActorSystem({
    nodeId,
    config: { supervisor_mode: 'distributed', nats_url: natsUrl },
    ...(hosts ? { modules: [actorModule] } : {}),
    cluster: { heartbeatMs: 100, downAfterMs: 1500, ...cluster, hostActors: hosts },
  });
}

/** Waits until `system` sees every node in `nodeIds` live. */
export function allLive(
  system: ActorSystem,
  nodeIds: readonly string[],
  timeoutMs?: number,
): Promise<string[]> {
  return until(
    `nodes ${nodeIds.join(', ')}`,
    async () => {
      const live = await system.clusterNodes();
      return nodeIds.every((n) => live.includes(n)) ? live : undefined;
    },
    timeoutMs,
  );
}
