import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorFailedError, type ActorSystem, createActorSystem } from '../src/index.js';
import { type CounterMsg, type CounterReplies, counter } from './fixtures/thread-actors.js';

const NATS_URL = process.env.NATS_URL;
// Unique per run: concurrent test runs on the same nats-server do not see each other's nodes.
const CLUSTER = `t${process.pid}${Date.now().toString(36)}`;
const nodeScript = fileURLToPath(new URL('./fixtures/cluster-node.js', import.meta.url));

const children: ChildProcess[] = [];
const nodes = new Map<string, ChildProcess>();
let system: ActorSystem | undefined;

/** Starts a node process and resolves once it has joined the cluster. */
async function startNode(nodeId: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [nodeScript, nodeId], {
    env: { ...process.env, ZEPHYR_TEST_CLUSTER: CLUSTER },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  nodes.set(nodeId, child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`node ${nodeId} exited with ${code} before joining`)));
  });
  return child;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  if (NATS_URL === undefined)
    throw new Error('NATS_URL is not set: run `eval "$(bash .ci/services.sh)"` first');
  await Promise.all([startNode('alpha'), startNode('beta')]);
  // This process supervises but hosts nothing, so every actor lives in another process.
  system = await createActorSystem({
    nodeId: 'sup',
    config: { supervisor_mode: 'distributed', nats_url: NATS_URL },
    cluster: { name: CLUSTER, hostActors: false, heartbeatMs: 200, downAfterMs: 800 },
  });
  await until('both nodes', async () => {
    const nodes = await system!.clusterNodes();
    return nodes.includes('alpha') && nodes.includes('beta') ? nodes : undefined;
  });
}, 60_000);

afterAll(async () => {
  await system?.shutdown();
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('distributed mode (real nats-server, node processes)', () => {
  it('runs supervised actors in other processes, with tell, ask (request/reply) and refs in messages', async () => {
    const sup = system!.supervise(
      {
        children: [
          { id: 'one', actor: counter, placement: 'cluster' },
          { id: 'two', actor: counter, placement: 'cluster' },
        ],
      },
      { id: 'basic' },
    );
    const one = sup.actor<CounterMsg, CounterReplies>('one')!;
    const two = sup.actor<CounterMsg, CounterReplies>('two')!;
    const whereOne = await until('one started', () => one.ask({ type: 'where' }));
    const whereTwo = await until('two started', () => two.ask({ type: 'where' }));
    expect(whereOne.pid).not.toBe(process.pid);
    expect(whereTwo.pid).not.toBe(whereOne.pid);
    for (let i = 0; i < 100; i++) one.tell({ type: 'add', by: 1 });
    await expect(one.ask({ type: 'get' })).resolves.toBe(100);
    // A ref inside a message, used from another process.
    one.tell({ type: 'forward', to: two, by: 5 });
    await expect(one.ask({ type: 'askOther', to: two })).resolves.toBe(5);
    const err = await one.ask({ type: 'crash' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActorFailedError);
    // Restarted by this process's supervisor, on its node: state rebuilt.
    await expect(until('restart', () => one.ask({ type: 'get' }))).resolves.toBe(0);
    // Stopping the supervisor stops its actors on their nodes.
    await system!.stop('basic');
    await expect(one.ask({ type: 'get' })).rejects.toMatchObject({ code: 'ZEPHYR_ERR_ACTOR_STOPPED' });
  });

  it('restarts the actors of a SIGKILLed node on the surviving node, as their supervisor says', async () => {
    const sup = system!.supervise({
      strategy: 'one_for_one',
      intensity: { maxRestarts: 10, withinMs: 10_000 },
      children: ['p1', 'p2', 'p3', 'p4'].map((id) => ({ id, actor: counter, placement: 'cluster' as const })),
    });
    const refs = ['p1', 'p2', 'p3', 'p4'].map((id) => sup.actor<CounterMsg, CounterReplies>(id)!);
    const before = await Promise.all(refs.map((r) => until('started', () => r.ask({ type: 'where' }))));
    const pids = new Set(before.map((w) => w.pid));
    expect(pids.size).toBe(2);
    const victim = children.find((c) => c.pid === before[0]!.pid)!;
    const survivor = children.find((c) => c !== victim)!;
    for (const r of refs) r.tell({ type: 'add', by: 10 });
    await Promise.all(refs.map((r) => r.ask({ type: 'get' })));
    victim.kill('SIGKILL');
    await once(victim, 'exit');
    // Every actor answers again, all from the surviving process; the moved ones with fresh state.
    const after = await Promise.all(
      refs.map((r) =>
        until('recovered', async () => {
          const where = await r.ask({ type: 'where' }, { timeoutMs: 500 });
          return where.pid === survivor.pid ? where : undefined;
        }),
      ),
    );
    expect(after.every((w) => w.pid === survivor.pid)).toBe(true);
    const counts = await Promise.all(refs.map((r) => r.ask({ type: 'get' })));
    before.forEach((w, i) => {
      expect(counts[i]).toBe(w.pid === victim.pid ? 0 : 10);
    });
    const restarted = sup.children().filter((c) => c.restarts > 0).length;
    expect(restarted).toBe(before.filter((w) => w.pid === victim.pid).length);
    const victimId = [...nodes].find(([, c]) => c === victim)![0];
    expect(await system!.clusterNodes()).not.toContain(victimId);
  });
});
