import { afterEach, describe, expect, it } from 'vitest';
import {
  ActorNameTakenError,
  ActorStoppedError,
  type ActorSystem,
  AskTimeoutError,
  createActorSystem,
  type DeathNotice,
  defineActor,
  InvalidArgumentError,
} from '../src/index.js';

type LogMsg =
  | { type: 'log'; sender: number; seq: number }
  | { type: 'slow'; sender: number; seq: number }
  | { type: 'read' };
const logger = defineActor<LogMsg, { read: Array<[number, number]> }>()({
  start: () => ({ seen: [] as Array<[number, number]>, active: 0, maxActive: 0 }),
  async receive(state, msg) {
    if (msg.type === 'read') return state.seen;
    state.active++;
    state.maxActive = Math.max(state.maxActive, state.active);
    if (msg.type === 'slow') await new Promise((r) => setImmediate(r));
    state.seen.push([msg.sender, msg.seq]);
    state.active--;
    if (state.maxActive > 1) throw new Error('two messages ran at once');
    return undefined;
  },
});

let system: ActorSystem | undefined;
afterEach(async () => {
  await system?.shutdown();
  system = undefined;
});

describe('actors', () => {
  it('keeps per-sender FIFO order and runs one message at a time under load', async () => {
    system = await createActorSystem();
    const ref = system.spawn(logger);
    const senders = 8;
    const perSender = 2000;
    // Senders interleave from separate async tasks, with async (suspending) handlers mixed in.
    await Promise.all(
      Array.from({ length: senders }, async (_, sender) => {
        for (let seq = 0; seq < perSender; seq++) {
          ref.tell({ type: seq % 97 === 0 ? 'slow' : 'log', sender, seq });
          if (seq % 250 === 0) await new Promise((r) => setImmediate(r));
        }
      }),
    );
    const seen = await ref.ask({ type: 'read' });
    expect(seen).toHaveLength(senders * perSender);
    const next = new Array<number>(senders).fill(0);
    for (const [sender, seq] of seen) {
      expect(seq).toBe(next[sender]);
      next[sender] = seq + 1;
    }
  });

  it('answers asks with the handler return value and times out silent ones', async () => {
    // The never-settling handler would hold shutdown for the default 5 s.
    system = await createActorSystem({ shutdownTimeoutMs: 50 });
    type M = { type: 'echo'; v: number } | { type: 'never' };
    const ref = system.spawn(
      defineActor<M, { echo: number }>()({
        start: () => null,
        receive: (_s, msg) => (msg.type === 'echo' ? msg.v * 2 : new Promise(() => {})),
      }),
      { name: 'echo' },
    );
    await expect(ref.ask({ type: 'echo', v: 21 })).resolves.toBe(42);
    const t0 = Date.now();
    await expect(ref.ask({ type: 'never' }, { timeoutMs: 50 })).rejects.toBeInstanceOf(AskTimeoutError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    await expect(ref.ask({ type: 'echo', v: 1 }, { timeoutMs: -1 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(() => ref.tell({} as M)).toThrow(InvalidArgumentError);
  });

  it('runs lifecycle hooks and registers names', async () => {
    system = await createActorSystem();
    const events: string[] = [];
    type M = { type: 'ping' } | { type: 'quit' };
    const def = defineActor<M, { ping: string }>()({
      start: async (ctx) => {
        events.push(`start:${ctx.name}`);
        return { n: 0 };
      },
      receive(_s, msg, ctx) {
        if (msg.type === 'quit') ctx.stop();
        return 'pong';
      },
      stop: () => {
        events.push('stop');
      },
    });
    const ref = system.spawn(def, { name: 'svc', restart: 'transient' });
    expect(system.lookup('svc')).toBe(ref);
    expect(() => system!.spawn(def, { name: 'svc' })).toThrow(ActorNameTakenError);
    await expect(ref.ask({ type: 'ping' })).resolves.toBe('pong');
    const notice = system.terminated(ref);
    ref.tell({ type: 'quit' });
    expect((await notice).reason).toEqual({ type: 'normal' });
    expect(events).toEqual(['start:svc', 'stop']);
    expect(system.lookup('svc')).toBeUndefined();
    await expect(ref.ask({ type: 'ping' })).rejects.toBeInstanceOf(ActorStoppedError);
  });

  it('delivers timer messages once and on an interval, and cancels them on stop', async () => {
    system = await createActorSystem();
    type M = { type: 'tick' } | { type: 'once' } | { type: 'count' };
    const ref = system.spawn(
      defineActor<M, { count: { ticks: number; once: number } }>()({
        start: (ctx) => {
          ctx.timers.interval('tick', 5, { type: 'tick' });
          ctx.timers.once('once', 1, { type: 'once' });
          return { ticks: 0, once: 0 };
        },
        receive(s, msg, ctx) {
          if (msg.type === 'tick' && ++s.ticks === 4) ctx.timers.cancel('tick');
          if (msg.type === 'once') s.once++;
          if (msg.type === 'count') return { ...s };
          return undefined;
        },
      }),
    );
    await new Promise((r) => setTimeout(r, 80));
    await expect(ref.ask({ type: 'count' })).resolves.toEqual({ ticks: 4, once: 1 });
  });

  it('sends a death notice to watchers, in mailbox order', async () => {
    system = await createActorSystem();
    type W = { type: 'watch'; target: ReturnType<ActorSystem['spawn']> } | { type: 'notices' };
    const watcher = system.spawn(
      defineActor<W, { notices: DeathNotice[] }>()({
        start: () => ({ notices: [] as DeathNotice[] }),
        receive(s, msg, ctx) {
          if (msg.type === 'watch') ctx.watch(msg.target);
          else return s.notices;
          return undefined;
        },
        terminated(s, notice) {
          s.notices.push(notice);
        },
      }),
    );
    const target = system.spawn(
      defineActor<{ type: 'x' }>()({ start: () => null, receive: () => undefined }),
      {
        name: 'target',
      },
    );
    watcher.tell({ type: 'watch', target });
    await watcher.ask({ type: 'notices' });
    await system.stop('target');
    await new Promise((r) => setImmediate(r));
    const notices = await watcher.ask({ type: 'notices' });
    expect(notices).toEqual([{ address: target.address, reason: { type: 'shutdown' } }]);
  });

  it('stashes messages until the actor is ready and replays them in order', async () => {
    system = await createActorSystem();
    type M = { type: 'open' } | { type: 'get'; key: string };
    const ref = system.spawn(
      defineActor<M, { get: string }>()({
        start: () => ({ open: false }),
        receive(s, msg, ctx) {
          if (msg.type === 'open') {
            s.open = true;
            ctx.unstashAll();
            return undefined;
          }
          if (!s.open) {
            ctx.stash();
            return undefined;
          }
          return `value-${msg.key}`;
        },
      }),
    );
    const order: string[] = [];
    const a = ref.ask({ type: 'get', key: 'a' }).then((v) => order.push(v));
    const b = ref.ask({ type: 'get', key: 'b' }).then((v) => order.push(v));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    ref.tell({ type: 'open' });
    await Promise.all([a, b]);
    expect(order).toEqual(['value-a', 'value-b']);
  });

  it('keeps a message stashed after an await, unanswered until it is handled again', async () => {
    system = await createActorSystem();
    type M = { type: 'open' } | { type: 'get' };
    const ref = system.spawn(
      defineActor<M, { get: string }>()({
        start: () => ({ open: false, tries: 0 }),
        async receive(s, msg, ctx) {
          if (msg.type === 'open') {
            s.open = true;
            ctx.unstashAll();
            return undefined;
          }
          s.tries++;
          await new Promise((r) => setImmediate(r));
          if (!s.open) {
            ctx.stash();
            return 'not yet';
          }
          return `opened after ${s.tries} tries`;
        },
      }),
    );
    let answer: string | undefined;
    const asked = ref.ask({ type: 'get' }).then((v) => {
      answer = v;
    });
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(answer).toBeUndefined();
    ref.tell({ type: 'open' });
    await asked;
    expect(answer).toBe('opened after 2 tries');
  });

  it('handles an ask from another thread at once when the actor is idle, in order behind queued ones', async () => {
    system = await createActorSystem();
    const sys = system;
    type M = { type: 'note'; n: number } | { type: 'seen' };
    const ref = sys.spawn(
      defineActor<M, { note: number; seen: number[] }>()({
        start: () => [] as number[],
        receive(seen, msg) {
          if (msg.type === 'seen') return seen;
          seen.push(msg.n);
          return msg.n;
        },
      }),
      { name: 'notes' },
    );
    await ref.ask({ type: 'seen' });
    const reply = sys.deadlines.create(ref.address, 1000);
    // As the thread link delivers: the handler has run before deliver returns.
    sys.deliver(ref.address, { type: 'note', n: 1 }, reply);
    expect(await ref.ask({ type: 'seen' })).toEqual([1]);
    await expect(reply.promise).resolves.toBe(1);
    // With a tell still queued, an ask from outside queues behind it.
    ref.tell({ type: 'note', n: 2 });
    const behind = sys.deadlines.create(ref.address, 1000);
    sys.deliver(ref.address, { type: 'note', n: 3 }, behind);
    await expect(behind.promise).resolves.toBe(3);
    expect(await ref.ask({ type: 'seen' })).toEqual([1, 2, 3]);
  });

  it('keeps handling messages when a dead-letter listener throws', async () => {
    const hookErrors: string[] = [];
    system = await createActorSystem({ onHookError: (_a, hook) => hookErrors.push(hook) });
    system.onDeadLetter(() => {
      throw new Error('listener bug');
    });
    type M = { type: 'crash' } | { type: 'ok' };
    const ref = system.spawn(
      defineActor<M, { ok: string }>()({
        start: () => null,
        receive: (_s, msg) => {
          if (msg.type === 'crash') throw new Error('crash');
          return 'fine';
        },
      }),
    );
    ref.tell({ type: 'crash' }); // dead-lettered as `failed`, the listener throws
    await expect(ref.ask({ type: 'ok' })).resolves.toBe('fine');
    expect(hookErrors).toEqual(['onDeadLetter listener']);
  });
});
