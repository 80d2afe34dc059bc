import { afterEach, describe, expect, it } from 'vitest';
import {
  type ActorSystem,
  createActorSystem,
  type DeadLetter,
  defineActor,
  InvalidArgumentError,
  MailboxFullError,
} from '../src/index.js';
import { RingQueue } from '../src/mailbox/ring-queue.js';

type M = { type: 'n'; n: number } | { type: 'seen' };
const recorder = defineActor<M, { seen: number[] }>()({
  start: () => ({ seen: [] as number[] }),
  receive(s, msg) {
    if (msg.type === 'n') s.seen.push(msg.n);
    if (msg.type === 'seen') return s.seen;
    return undefined;
  },
});

let system: ActorSystem | undefined;
afterEach(async () => {
  await system?.shutdown();
  system = undefined;
});

/** Spawns `recorder` and fills its mailbox with 1..count in one synchronous run, before it can drain. */
function fill(sys: ActorSystem, overflow: 'reject' | 'drop-oldest' | 'drop-newest', count: number) {
  const letters: DeadLetter[] = [];
  sys.onDeadLetter((l) => letters.push(l));
  const ref = sys.spawn(recorder, { mailbox: { capacity: 4, overflow } });
  const thrown: unknown[] = [];
  // All tells happen in one synchronous run: the actor cannot drain in between.
  for (let n = 1; n <= count; n++) {
    try {
      ref.tell({ type: 'n', n });
    } catch (err) {
      thrown.push(err);
    }
  }
  return { ref, letters, thrown };
}

describe('bounded mailboxes', () => {
  it('reject: the sender gets MailboxFullError and nothing queued is lost', async () => {
    system = await createActorSystem();
    const { ref, letters, thrown } = fill(system, 'reject', 6);
    expect(thrown).toHaveLength(2);
    expect(thrown[0]).toBeInstanceOf(MailboxFullError);
    expect((thrown[0] as MailboxFullError).code).toBe('ZEPHYR_ERR_MAILBOX_FULL');
    expect(letters).toEqual([]);
    // Still full (the actor has not run yet): an ask is rejected too.
    await expect(ref.ask({ type: 'seen' })).rejects.toBeInstanceOf(MailboxFullError);
    await expect(ref.ask({ type: 'seen' })).resolves.toEqual([1, 2, 3, 4]);
  });

  it('drop-oldest: the oldest messages go to dead letters, the newest are kept', async () => {
    system = await createActorSystem();
    const { ref, letters, thrown } = fill(system, 'drop-oldest', 6);
    expect(thrown).toEqual([]);
    expect(letters.map((l) => [l.reason, (l.message as { n: number }).n])).toEqual([
      ['dropped-oldest', 1],
      ['dropped-oldest', 2],
    ]);
    await new Promise((r) => setImmediate(r));
    await expect(ref.ask({ type: 'seen' })).resolves.toEqual([3, 4, 5, 6]);
  });

  it('drop-newest: the incoming messages go to dead letters, the queued ones are kept', async () => {
    system = await createActorSystem();
    const { ref, letters, thrown } = fill(system, 'drop-newest', 6);
    expect(thrown).toEqual([]);
    expect(letters.map((l) => [l.reason, (l.message as { n: number }).n])).toEqual([
      ['dropped-newest', 5],
      ['dropped-newest', 6],
    ]);
    await new Promise((r) => setImmediate(r));
    await expect(ref.ask({ type: 'seen' })).resolves.toEqual([1, 2, 3, 4]);
  });

  it('a dropped ask rejects its asker instead of hanging', async () => {
    system = await createActorSystem();
    const ref = system.spawn(recorder, { mailbox: { capacity: 1, overflow: 'drop-oldest' } });
    const first = ref.ask({ type: 'seen' });
    ref.tell({ type: 'n', n: 1 });
    await expect(first).rejects.toBeInstanceOf(MailboxFullError);
  });

  it('rejects bad mailbox options where they are given', async () => {
    system = await createActorSystem();
    expect(() => system!.spawn(recorder, { mailbox: { capacity: 0 } })).toThrow(InvalidArgumentError);
    expect(() => system!.spawn(recorder, { mailbox: { capacity: 2.5 } })).toThrow(InvalidArgumentError);
    expect(() => system!.spawn(recorder, { mailbox: { overflow: 'drop-all' as 'reject' } })).toThrow(
      InvalidArgumentError,
    );
  });
});

describe('RingQueue', () => {
  it('grows past its initial capacity and keeps FIFO order with unshift', () => {
    const q = new RingQueue<number>(2);
    for (let i = 0; i < 100; i++) q.push(i);
    q.unshift(-1);
    expect(q.size).toBe(101);
    expect(q.drainAll()).toEqual([-1, ...Array.from({ length: 100 }, (_, i) => i)]);
    expect(q.shift()).toBeUndefined();
  });
});
