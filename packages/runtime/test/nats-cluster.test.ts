import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActorSystem } from '../src/index.js';
import { allLive, joinNode, until } from './cluster-helpers.js';
import { type CounterMsg, type CounterReplies, counter } from './fixtures/thread-actors.js';
import { type NatsServer, startNatsCluster } from './nats-servers.js';

let servers: NatsServer[] = [];
let systems: ActorSystem[] = [];

beforeAll(async () => {
  servers = await startNatsCluster();
  const urls = servers.map((s) => s.url);
  // Each node starts on a different NATS server and knows the others as seeds.
  const on = (i: number) => ({
    name: 'nc3',
    downAfterMs: 3000,
    log: () => {},
    nats: { servers: urls.filter((_, j) => j !== i) },
  });
  systems = [
    await joinNode('sup', urls[0]!, on(0), false),
    await joinNode('alpha', urls[1]!, on(1), true),
    await joinNode('beta', urls[2]!, on(2), true),
  ];
  await allLive(systems[0]!, ['sup', 'alpha', 'beta'], 30_000);
}, 60_000);

afterAll(async () => {
  await Promise.all(systems.map((s) => s.shutdown()));
  await Promise.all(servers.map((s) => s.kill()));
});

describe('a 3-server NATS cluster (three routed nats-server processes)', () => {
  it('keeps the actor cluster whole when the NATS server of a hosting node is killed under load', async () => {
    const [sup, alpha] = systems as [ActorSystem, ActorSystem, ActorSystem];
    const tree = sup.supervise({
      children: [
        { id: 'a', actor: counter, placement: 'cluster' },
        { id: 'b', actor: counter, placement: 'cluster' },
      ],
    });
    const a = tree.actor<CounterMsg, CounterReplies>('a')!;
    const b = tree.actor<CounterMsg, CounterReplies>('b')!;
    await until('a started', () => a.ask({ type: 'where' }));
    await until('b started', () => b.ask({ type: 'where' }));

    let running = true;
    let answered = 0;
    let failed = 0;
    const codes = new Set<string>();
    const load = (async () => {
      while (running) {
        const results = await Promise.allSettled([
          a.ask({ type: 'add', by: 1 }, { timeoutMs: 2000 }),
          b.ask({ type: 'add', by: 1 }, { timeoutMs: 2000 }),
        ]);
        for (const r of results) {
          if (r.status === 'fulfilled') answered++;
          else {
            failed++;
            codes.add(String((r.reason as { code?: string }).code));
          }
        }
        // Rejections can settle at once: let timers (and the test's deadlines) run.
        await new Promise((r) => setImmediate(r));
      }
    })();
    await until('load running', () => (answered > 20 ? true : undefined));
    const reconnects = alpha.clusterStats().reconnects;
    // The client picks among its seeds at random: kill the server alpha is really on.
    const onServer = servers.find((srv) => alpha.clusterStats().server.endsWith(`:${srv.port}`))!;
    await onServer.kill();
    // alpha's client fails over to a surviving server of the NATS cluster.
    await until(
      'alpha failed over',
      () => (alpha.clusterStats().reconnects > reconnects ? true : undefined),
      20_000,
    );
    const afterFailover = answered;
    await until('asks flow again', () => (answered > afterFailover + 20 ? true : undefined), 20_000);
    running = false;
    await load;
    console.log(`answered ${answered}, failed ${failed}: ${[...codes].join(', ')}`);
    expect(tree.children().map((c) => c.restarts)).toEqual([0, 0]);
    expect(await sup.clusterNodes()).toEqual(expect.arrayContaining(['sup', 'alpha', 'beta']));
    // State survived: each counter counted every add it answered (a lost one never answered).
    const total = (await a.ask({ type: 'get' })) + (await b.ask({ type: 'get' }));
    expect(total).toBeGreaterThanOrEqual(answered);
    expect(failed).toBeLessThan(answered);
    for (const code of codes)
      expect(code).toMatch(/^ZEPHYR_ERR_(ASK_TIMEOUT|ACTOR_STOPPED|CLUSTER_DISCONNECTED)$/);
  }, 60_000);
});
