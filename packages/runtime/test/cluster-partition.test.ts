import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActorSystem } from '../src/index.js';
import { allLive, joinNode, until } from './cluster-helpers.js';
import { type CounterMsg, type CounterReplies, counter } from './fixtures/thread-actors.js';
import { type NatsServer, startNatsCluster } from './nats-servers.js';

let servers: NatsServer[] = [];
let sup: ActorSystem;
let alpha: ActorSystem;
let beta: ActorSystem;

beforeAll(async () => {
  // Servers do not advertise each other, so alpha, alone on servers[1], can be cut off.
  servers = await startNatsCluster('', true);
  const cluster = { name: 'part', log: () => {} };
  sup = await joinNode('sup', servers[0]!.url, cluster, false);
  alpha = await joinNode('alpha', servers[1]!.url, cluster, true);
  await allLive(sup, ['sup', 'alpha']);
}, 60_000);

afterAll(async () => {
  await Promise.all([sup, alpha, beta].map((s) => s?.shutdown()));
  await Promise.all(servers.map((s) => s.kill()));
});

describe('a node cut off from NATS while the rest of the cluster still reaches it', () => {
  it('is declared down, its actor restarts elsewhere, and its stale copy stops when it reconnects', async () => {
    const tree = sup.supervise({ children: [{ id: 'a', actor: counter, placement: 'cluster' }] });
    const a = tree.actor<CounterMsg, CounterReplies>('a')!;
    await until('a on alpha', () => a.ask({ type: 'add', by: 1 }));
    expect(alpha.clusterStats().hostedActors).toBe(1);
    // beta joins only now, so the actor went to alpha.
    beta = await joinNode('beta', servers[2]!.url, { name: 'part', log: () => {} }, true);
    await allLive(sup, ['sup', 'alpha', 'beta']);

    await servers[1]!.kill();
    // sup still reaches NATS: alpha's silence counts, and its actor is restarted on beta.
    await until(
      'restarted on beta',
      () => (beta.clusterStats().hostedActors === 1 ? true : undefined),
      20_000,
    );
    expect(tree.children()[0]!.restarts).toBe(1);
    // Meanwhile alpha keeps its (now stale) copy: a broker outage is not its own death.
    expect(alpha.clusterStats().hostedActors).toBe(1);

    await servers[1]!.restart();
    await until('alpha back', () => (alpha.clusterStats().connected ? true : undefined), 20_000);
    await until('stale copy stopped', () => (alpha.clusterStats().hostedActors === 0 ? true : undefined));
    expect(beta.clusterStats().hostedActors).toBe(1);
    // One copy answers: the restarted one, with fresh state.
    expect(await a.ask({ type: 'add', by: 5 })).toBe(5);
  }, 60_000);
});
