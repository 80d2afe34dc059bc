import { afterEach, describe, expect, it } from 'vitest';
import {
  ActorFailedError,
  type ActorSystem,
  createActorSystem,
  type DeadLetter,
  defineActor,
  RestartIntensityError,
  SiblingFailedError,
} from '../src/index.js';

type WorkerMsg = { type: 'work'; n: number } | { type: 'crash' } | { type: 'done' } | { type: 'quit' };
type WorkerReplies = { done: number[]; work: number };

/** Records starts and restarts in `log` under its `id`. */
function worker(id: string, log: string[]) {
  return defineActor<WorkerMsg, WorkerReplies>()({
    start: () => {
      log.push(`start:${id}`);
      return { done: [] as number[] };
    },
    receive(s, msg, ctx) {
      if (msg.type === 'crash') throw new Error(`${id} crashed`);
      if (msg.type === 'quit') ctx.stop();
      if (msg.type === 'done') return s.done;
      if (msg.type === 'work') {
        s.done.push(msg.n);
        return msg.n;
      }
      return undefined;
    },
    beforeRestart: (_s, reason) => {
      log.push(
        `beforeRestart:${id}:${reason instanceof SiblingFailedError ? 'sibling' : (reason as Error).message}`,
      );
    },
    stop: () => {
      log.push(`stop:${id}`);
    },
  });
}

const tick = () => new Promise((r) => setTimeout(r, 5));

let system: ActorSystem | undefined;
afterEach(async () => {
  await system?.shutdown();
  system = undefined;
});

function three(sys: ActorSystem, strategy: 'one_for_one' | 'one_for_all' | 'rest_for_one', log: string[]) {
  const sup = sys.supervise({
    strategy,
    intensity: { maxRestarts: 5, withinMs: 1000 },
    children: ['a', 'b', 'c'].map((id) => ({ id, actor: worker(id, log) })),
  });
  return { sup, ref: (id: string) => sup.actor<WorkerMsg, WorkerReplies>(id)! };
}

describe('supervision strategies', () => {
  it('one_for_one restarts only the failed child', async () => {
    system = await createActorSystem();
    const log: string[] = [];
    const { ref } = three(system, 'one_for_one', log);
    log.length = 0;
    ref('b').tell({ type: 'crash' });
    await expect(ref('b').ask({ type: 'work', n: 1 })).resolves.toBe(1);
    expect(log).toEqual(['beforeRestart:b:b crashed', 'start:b']);
  });

  it('one_for_all halts every child in reverse order, then starts all in order', async () => {
    system = await createActorSystem();
    const log: string[] = [];
    const { ref } = three(system, 'one_for_all', log);
    log.length = 0;
    ref('b').tell({ type: 'crash' });
    await expect(ref('a').ask({ type: 'work', n: 1 })).resolves.toBe(1);
    await tick();
    expect(log).toEqual([
      'beforeRestart:c:sibling',
      'beforeRestart:b:b crashed',
      'beforeRestart:a:sibling',
      'start:a',
      'start:b',
      'start:c',
    ]);
  });

  it('rest_for_one restarts the failed child and those started after it', async () => {
    system = await createActorSystem();
    const log: string[] = [];
    const { ref } = three(system, 'rest_for_one', log);
    log.length = 0;
    ref('b').tell({ type: 'crash' });
    await ref('c').ask({ type: 'work', n: 1 });
    await tick();
    expect(log).toEqual(['beforeRestart:c:sibling', 'beforeRestart:b:b crashed', 'start:b', 'start:c']);
  });

  it('applies restart types: permanent after normal exit, transient only on failure, temporary never', async () => {
    system = await createActorSystem();
    const log: string[] = [];
    const sup = system.supervise({
      children: [
        { id: 'p', actor: worker('p', log), restart: 'permanent' },
        { id: 't', actor: worker('t', log), restart: 'transient' },
        { id: 'x', actor: worker('x', log), restart: 'temporary' },
      ],
    });
    const get = (id: string) => sup.actor<WorkerMsg, WorkerReplies>(id)!;
    const t = get('t');
    const x = get('x');
    get('p').tell({ type: 'quit' });
    t.tell({ type: 'crash' });
    x.tell({ type: 'crash' });
    await expect(get('p').ask({ type: 'work', n: 1 })).resolves.toBe(1);
    await expect(t.ask({ type: 'work', n: 2 })).resolves.toBe(2);
    expect((await system.terminated(x)).reason.type).toBe('error');
    t.tell({ type: 'quit' });
    expect((await system.terminated(t)).reason).toEqual({ type: 'normal' });
    expect(sup.children().map((c) => [c.id, c.restarts])).toEqual([['p', 1]]);
  });

  it('reports the mailbox depth of each local actor child: messages queued behind the one in hand', async () => {
    system = await createActorSystem();
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = defineActor<{ type: 'hold' } | { type: 'ping' }, { ping: string }>()({
      start: () => ({}),
      async receive(_s, msg) {
        if (msg.type === 'hold') await gate;
        return msg.type === 'ping' ? 'pong' : undefined;
      },
    });
    const sup = system.supervise({ children: [{ id: 'slow', actor: slow }] });
    const ref = sup.actor<{ type: 'hold' } | { type: 'ping' }, { ping: string }>('slow')!;
    ref.tell({ type: 'hold' });
    const pongs = [ref.ask({ type: 'ping' }), ref.ask({ type: 'ping' })];
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sup.children().map((c) => [c.id, c.mailboxDepth])).toEqual([['slow', 2]]);
    release();
    await expect(Promise.all(pongs)).resolves.toEqual(['pong', 'pong']);
    expect(sup.children()[0]!.mailboxDepth).toBe(0);
    const outer = system.supervise({ children: [{ id: 'inner', supervisor: {} }] });
    expect(outer.children()[0]!.mailboxDepth).toBeUndefined();
  });

  it('adds and removes dynamic children', async () => {
    system = await createActorSystem();
    const sup = system.supervise({ strategy: 'one_for_one' });
    const ref = sup.startChild({ id: 'dyn', actor: worker('dyn', []) });
    await expect(ref.ask({ type: 'work', n: 7 })).resolves.toBe(7);
    expect(sup.children().map((c) => c.id)).toEqual(['dyn']);
    await sup.terminateChild('dyn');
    expect(sup.children()).toEqual([]);
    await expect(sup.terminateChild('dyn')).rejects.toThrow(/no child/);
  });

  it('waits for the backoff before restarting and keeps queueing meanwhile', async () => {
    system = await createActorSystem();
    const log: string[] = [];
    const sup = system.supervise({
      backoff: { initialMs: 60, maxMs: 200 },
      children: [{ id: 'a', actor: worker('a', log) }],
    });
    const a = sup.actor<WorkerMsg, WorkerReplies>('a')!;
    const t0 = Date.now();
    a.tell({ type: 'crash' });
    await expect(a.ask({ type: 'work', n: 1 })).resolves.toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
  });
});

describe('messages across a restart', () => {
  it('drops only the failing message (dead letter or ActorFailedError) and keeps the rest of the mailbox', async () => {
    system = await createActorSystem();
    const letters: DeadLetter[] = [];
    system.onDeadLetter((l) => letters.push(l));
    const ref = system.spawn(worker('w', []));
    const sent: number[] = [];
    // One synchronous burst: the crash lands mid-mailbox with work queued behind it.
    for (let n = 0; n < 100; n++) {
      if (n === 40) ref.tell({ type: 'crash' });
      ref.tell({ type: 'work', n });
      sent.push(n);
    }
    const failedAsk = ref.ask({ type: 'crash' });
    for (let n = 100; n < 150; n++) {
      ref.tell({ type: 'work', n });
      sent.push(n);
    }
    await expect(failedAsk).rejects.toBeInstanceOf(ActorFailedError);
    // The second incarnation handled everything queued after each crash; the first one the rest.
    const after = await ref.ask({ type: 'done' });
    expect(after).toEqual(sent.slice(100));
    expect(letters).toEqual([{ recipient: ref.address, message: { type: 'crash' }, reason: 'failed' }]);
  });
});

describe('restart intensity', () => {
  it('escalates through two levels of supervisors when restarts exceed the intensity', async () => {
    system = await createActorSystem();
    const log: string[] = [];
    const top = system.supervise(
      {
        intensity: { maxRestarts: 1, withinMs: 5000 },
        children: [
          {
            id: 'mid',
            supervisor: {
              intensity: { maxRestarts: 2, withinMs: 5000 },
              children: [{ id: 'leaf', actor: worker('leaf', log) }],
            },
          },
        ],
      },
      { id: 'top', restart: 'temporary' },
    );
    const done = system.terminated(top);
    // mid tolerates 2 restarts of leaf, the third failure exceeds its intensity; top restarts mid
    // once (its own limit), and mid's second give-up exceeds top's intensity.
    let crashes = 0;
    while (crashes < 10) {
      const current = top.supervisor('mid');
      if (current === undefined) break;
      const ref = current.actor<WorkerMsg, WorkerReplies>('leaf');
      if (ref === undefined) {
        await tick();
        continue;
      }
      await ref.ask({ type: 'crash' }).catch(() => {});
      crashes++;
      await tick();
    }
    const notice = await done;
    expect(notice.reason.type).toBe('error');
    const err = (notice.reason as { error: RestartIntensityError }).error;
    expect(err).toBeInstanceOf(RestartIntensityError);
    expect(err.code).toBe('ZEPHYR_ERR_RESTART_INTENSITY');
    expect(err.cause).toBeInstanceOf(RestartIntensityError);
    expect((err.cause as Error).cause).toEqual(new Error('leaf crashed'));
    expect(crashes).toBe(6);
    expect(top.children()).toEqual([]);
  });

  it('root giving up calls onFatal', async () => {
    let fatal: unknown;
    system = await createActorSystem({
      root: { intensity: { maxRestarts: 0, withinMs: 1000 } },
      onFatal: (e) => {
        fatal = e;
      },
    });
    const ref = system.spawn(worker('r', []));
    await ref.ask({ type: 'crash' }).catch(() => {});
    await tick();
    expect(fatal).toBeInstanceOf(RestartIntensityError);
  });
});
