import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActorSystem, ClusterDisconnectedError, defineActor } from '../src/index.js';
import { allLive, joinNode, until } from './cluster-helpers.js';
import { type CounterMsg, type CounterReplies, counter } from './fixtures/thread-actors.js';
import { NatsServer } from './nats-servers.js';

const NODES = ['sup', 'alpha', 'beta'];
let server: NatsServer;
let systems: ActorSystem[] = [];
const logs: string[] = [];

const local = defineActor<{ type: 'inc' } | { type: 'get' }, { get: number }>()({
  start: () => ({ n: 0 }),
  receive(state, msg) {
    if (msg.type === 'inc') state.n++;
    return msg.type === 'get' ? state.n : undefined;
  },
});

beforeAll(async () => {
  server = await NatsServer.start();
  const cluster = { name: 'outage', maxBufferedBytes: 256 * 1024, log: (line: string) => logs.push(line) };
  systems = [
    await joinNode('sup', server.url, cluster, false),
    await joinNode('alpha', server.url, cluster, true),
    await joinNode('beta', server.url, cluster, true),
  ];
  await allLive(systems[0]!, NODES);
}, 60_000);

afterAll(async () => {
  await Promise.all(systems.map((s) => s.shutdown()));
  await server?.kill();
});

/** Kills nats-server for `outageMs` under load and checks that the cluster rides through it. */
async function rideThrough(id: string, outageMs: number): Promise<void> {
  const [sup] = systems as [ActorSystem];
  const tree = sup.supervise(
    {
      children: [
        { id: 'a', actor: counter, placement: 'cluster' },
        { id: 'b', actor: counter, placement: 'cluster' },
        { id: 'local', actor: local },
      ],
    },
    { id },
  );
  const a = tree.actor<CounterMsg, CounterReplies>('a')!;
  const b = tree.actor<CounterMsg, CounterReplies>('b')!;
  const here = tree.actor<{ type: 'inc' } | { type: 'get' }, { get: number }>('local')!;
  await until('a started', () => a.ask({ type: 'add', by: 100 }));
  await until('b started', () => b.ask({ type: 'add', by: 200 }));
  const reconnectsBefore = systems.map((s) => s.clusterStats().reconnects);

  // Load: tells to both cluster actors and to the local one, all through the outage.
  let running = true;
  let localDone = 0;
  const load = (async () => {
    while (running) {
      here.tell({ type: 'inc' });
      localDone++;
      try {
        a.tell({ type: 'add', by: 0 });
        b.tell({ type: 'add', by: 0 });
      } catch (err) {
        expect(err).toBeInstanceOf(ClusterDisconnectedError);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();

  await server.kill();
  await until('every node noticed the outage', () =>
    systems.every((s) => !s.clusterStats().connected) ? true : undefined,
  );
  const outageStart = Date.now();
  // Local actors keep running while the broker is away.
  const localBefore = await here.ask({ type: 'get' });
  await new Promise((r) => setTimeout(r, 200));
  expect(await here.ask({ type: 'get' })).toBeGreaterThan(localBefore);
  // An ask during the outage fails with a runtime error, never a raw NATS one.
  const during = await a.ask({ type: 'get' }, { timeoutMs: 300 }).catch((err: unknown) => err);
  expect((during as { code?: string }).code).toMatch(/^ZEPHYR_ERR_(ASK_TIMEOUT|CLUSTER_DISCONNECTED)$/);
  // A big message past the outage buffer is refused at the send site.
  expect(() => a.tell({ type: 'add', by: 0, pad: 'x'.repeat(300 * 1024) } as never)).toThrow(
    ClusterDisconnectedError,
  );
  await new Promise((r) => setTimeout(r, Math.max(0, outageMs - (Date.now() - outageStart))));
  // Tells during the outage were buffered (not dropped), within the bound; any refused past it
  // were refused with the typed error (checked in the load loop).
  const buffered = sup.clusterStats().bufferedBytes;
  expect(buffered).toBeGreaterThan(0);
  expect(buffered).toBeLessThanOrEqual(256 * 1024);
  await server.restart();

  await until(
    'every node reconnected',
    () =>
      systems.every(
        (s, i) => s.clusterStats().connected && s.clusterStats().reconnects > reconnectsBefore[i]!,
      )
        ? true
        : undefined,
    30_000,
  );
  running = false;
  await load;
  await allLive(sup, NODES);
  // Nobody was declared down, nothing restarted, and state survived on both hosts.
  expect(tree.children().map((c) => c.restarts)).toEqual([0, 0, 0]);
  expect(await until('a answers', () => a.ask({ type: 'get' }))).toBe(100);
  expect(await until('b answers', () => b.ask({ type: 'get' }))).toBe(200);
  expect(await here.ask({ type: 'get' })).toBe(localDone);
  // Exactly one line per node said what happened.
  expect(logs.filter((l) => l.includes('lost NATS')).length).toBeGreaterThanOrEqual(3);
  await sup.stop(id);
}

describe('a NATS outage is not a node death (real nats-server killed and restarted)', () => {
  it('rides through a 5 s outage under load', () => rideThrough('five', 5000), 60_000);

  it('rides through a 30 s outage under load', () => rideThrough('thirty', 30_000), 90_000);
});
