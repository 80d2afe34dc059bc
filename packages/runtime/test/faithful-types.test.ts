import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ActorRef,
  ActorStoppedError,
  type ActorSystem,
  createActorSystem,
  InvalidArgumentError,
} from '../src/index.js';
import { allLive, joinNode, until } from './cluster-helpers.js';
import { type EchoMsg, echo } from './fixtures/thread-actors.js';
import { NatsServer } from './nats-servers.js';

type Echo = ActorRef<EchoMsg, { echo: unknown; describe: string }>;

/** Every value a message may carry, and what must arrive. */
function supported(): [string, unknown][] {
  const err: ActorStoppedError = new ActorStoppedError('x/1');
  return [
    ['string', 'héllo ✓'],
    ['integers', [0, 1, -1, 2 ** 31, -(2 ** 53 - 1), Number.MAX_SAFE_INTEGER]],
    ['floats', [0.5, -1e-300, 1e300, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]],
    ['booleans and null', [true, false, null]],
    ['nested', { a: { b: { c: { d: [1, { e: 'f' }] } } } }],
    ['bigint', [0n, 1n, -1n, 2n ** 64n, -(3n ** 100n)]],
    ['date', new Date('2024-02-29T12:34:56.789Z')],
    ['invalid date', new Date(Number.NaN)],
    [
      'map',
      new Map<unknown, unknown>([
        ['k', 1],
        [2, 'two'],
        [null, [1]],
        ['nested', new Map([['x', new Set([1])]])],
      ]),
    ],
    ['set', new Set<unknown>([1, 'a', null, 2n])],
    ['regexp', /a+b?\/c/giu],
    ['bytes', Uint8Array.of(0, 1, 254, 255)],
    ['error', err],
  ];
}

function unsupported(): [string, unknown][] {
  class Point {
    constructor(readonly x: number) {}
  }
  return [
    ['function', () => 1],
    ['symbol', Symbol('s')],
    ['class instance', new Point(1)],
    ['Float64Array', Float64Array.of(1.5)],
    ['WeakMap', new WeakMap()],
    ['Promise', Promise.resolve(1)],
  ];
}

async function roundTrips(ref: Echo): Promise<void> {
  for (const [name, value] of supported()) {
    const back = await ref.ask({ type: 'echo', value });
    if (value instanceof ActorStoppedError) {
      expect(back, name).toBeInstanceOf(ActorStoppedError);
      expect(back, name).toMatchObject({ code: value.code, message: value.message, status: 503 });
    } else {
      expect(back, name).toEqual(value);
    }
    // The class is right where the actor runs too, not only after the way back.
    const seen = await ref.ask({ type: 'describe', value });
    expect(seen, name).toBe(Object.prototype.toString.call(value));
  }
  // Invalid dates stay invalid (not 1970).
  const invalid = (await ref.ask({ type: 'echo', value: new Date(Number.NaN) })) as Date;
  expect(Number.isNaN(invalid.getTime())).toBe(true);
}

async function refuses(ref: Echo): Promise<void> {
  for (const [name, value] of unsupported()) {
    await expect(ref.ask({ type: 'echo', value }), name).rejects.toBeInstanceOf(InvalidArgumentError);
  }
}

describe('messages arrive as sent, or are refused at the send site', () => {
  describe('between threads', () => {
    let system: ActorSystem;
    let ref: Echo;
    beforeAll(async () => {
      system = await createActorSystem({
        config: { actor_threads: 1 },
        modules: [new URL('./fixtures/thread-actors.js', import.meta.url)],
      });
      ref = system.spawn(echo, { placement: 'thread' }) as Echo;
    });
    afterAll(() => system.shutdown());

    it('round-trips every supported type', () => roundTrips(ref));
    it('refuses functions, symbols and class instances with InvalidArgumentError', () => refuses(ref));
    it('dead-letters a tell that cannot cross, naming its real recipient', async () => {
      const letters: { recipient: string; reason: string }[] = [];
      system.onDeadLetter((l) => letters.push(l));
      // Functions and symbols are refused at once; a class instance is found when the batch is encoded.
      expect(() => ref.tell({ type: 'echo', value: () => 1 })).toThrow(InvalidArgumentError);
      ref.tell({ type: 'echo', value: new (class Point {})() });
      await until('dead letter', () => (letters.length > 0 ? true : undefined));
      expect(letters[0]).toMatchObject({ recipient: ref.address, reason: 'unreachable' });
    });
  });

  describe('over NATS', () => {
    let server: NatsServer;
    let sup: ActorSystem;
    let host: ActorSystem;
    let ref: Echo;
    beforeAll(async () => {
      server = await NatsServer.start();
      host = await joinNode('host', server.url, { name: 'types' }, true);
      sup = await joinNode('sup', server.url, { name: 'types' }, false);
      await allLive(sup, ['host', 'sup']);
      ref = sup.spawn(echo, { placement: 'cluster' }) as Echo;
      await until('echo started', () => ref.ask({ type: 'echo', value: 1 }));
    }, 30_000);
    afterAll(async () => {
      await sup.shutdown();
      await host.shutdown();
      await server.kill();
    });

    it('round-trips every supported type', () => roundTrips(ref));
    it('refuses functions, symbols and class instances: tell throws, ask rejects, nothing stays pending', async () => {
      await refuses(ref);
      expect(() => ref.tell({ type: 'echo', value: () => 1 })).toThrow(InvalidArgumentError);
      expect(() => ref.tell({ type: 'echo', value: Symbol('s') })).toThrow(InvalidArgumentError);
      // No ask was left behind to reject later (an unhandled rejection would fail this run).
      await new Promise((r) => setTimeout(r, 50));
      expect(await ref.ask({ type: 'echo', value: 2n ** 70n })).toBe(2n ** 70n);
    });
  });
});
