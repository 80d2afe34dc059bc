import { afterEach, describe, expect, it } from 'vitest';
import {
  ActorStoppedError,
  type ActorSystem,
  createActorSystem,
  defineActor,
  MailboxFullError,
} from '../src/index.js';

type M = { type: 'n'; n: number } | { type: 'seen' };
const recorder = defineActor<M, { seen: number[]; n: number }>()({
  start: () => ({ seen: [] as number[] }),
  receive(s, msg) {
    if (msg.type === 'n') {
      s.seen.push(msg.n);
      return msg.n;
    }
    return s.seen;
  },
});

let system: ActorSystem | undefined;
afterEach(async () => {
  await system?.shutdown();
  system = undefined;
});

describe('the backpressure mailbox policy', () => {
  it('makes send() and ask wait for space, keeps order, and tell (which cannot wait) throws', async () => {
    system = await createActorSystem();
    const ref = system.spawn(recorder, { mailbox: { capacity: 2, overflow: 'backpressure' } });
    // Synchronously: the actor cannot drain between these.
    const first = [ref.send({ type: 'n', n: 1 }), ref.send({ type: 'n', n: 2 })];
    let thirdQueued = false;
    const third = ref.send({ type: 'n', n: 3 }).then(() => {
      thirdQueued = true;
    });
    const asked = ref.ask({ type: 'n', n: 4 });
    expect(() => ref.tell({ type: 'n', n: 99 })).toThrow(MailboxFullError);
    expect(thirdQueued).toBe(false);
    await Promise.all(first);
    await third;
    expect(await asked).toBe(4);
    expect(await ref.ask({ type: 'seen' })).toEqual([1, 2, 3, 4]);
  });

  it('bounds the waiting senders at capacity: one more is refused, not queued without limit', async () => {
    system = await createActorSystem();
    const ref = system.spawn(recorder, { mailbox: { capacity: 2, overflow: 'backpressure' } });
    const sends = [1, 2, 3, 4].map((n) => ref.send({ type: 'n', n }));
    await expect(ref.send({ type: 'n', n: 5 })).rejects.toBeInstanceOf(MailboxFullError);
    await Promise.all(sends);
    expect(await ref.ask({ type: 'seen' })).toEqual([1, 2, 3, 4]);
  });

  it('rejects waiting senders when the actor stops', async () => {
    system = await createActorSystem({ shutdownTimeoutMs: 50 });
    // Busy on its first message until stopped, so the mailbox stays full.
    const busy = defineActor<M>()({ start: () => null, receive: () => new Promise(() => {}) });
    const ref = system.spawn(busy, { name: 'bp', mailbox: { capacity: 1, overflow: 'backpressure' } });
    ref.tell({ type: 'n', n: 0 });
    await new Promise((r) => setTimeout(r, 10));
    ref.tell({ type: 'n', n: 1 });
    const waiting = ref.send({ type: 'n', n: 2 });
    const letters: unknown[] = [];
    system.onDeadLetter((l) => letters.push(l.message));
    await system.stop('bp');
    await expect(waiting).rejects.toBeInstanceOf(ActorStoppedError);
    expect(letters).toEqual([
      { type: 'n', n: 2 },
      { type: 'n', n: 1 },
    ]);
  });
});
