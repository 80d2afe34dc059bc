import { decode, encode } from '@msgpack/msgpack';
import { connect, type NatsConnection, headers as natsHeaders } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActorSystem, DeadLetter } from '../src/index.js';
import { AskTimeoutError, type ReceiveTraceContext, receiveChannel } from '../src/index.js';
import { allLive, joinNode, until } from './cluster-helpers.js';
import { type CounterMsg, type CounterReplies, counter, hog } from './fixtures/thread-actors.js';
import { NatsServer } from './nats-servers.js';

const CLUSTER = 'wire';
let server: NatsServer;
let sup: ActorSystem;
let host: ActorSystem;
let raw: NatsConnection;
const logs: string[] = [];
const letters: DeadLetter[] = [];

/** Deterministic pseudo-random bytes, so a failure can be replayed. */
function* randomPayloads(seed: number, count: number): Generator<Uint8Array> {
  let x = seed;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const valid = [
    encode(['c1/c2', { type: 'error', error: null }]),
    encode(['spawn', 'sup/c9', ['counter', null], 'sup']),
    encode(['stop', 'sup/c9', { type: 'shutdown' }, 'sup']),
    encode({ type: 'add', by: 1 }),
    encode([true, 1]),
  ];
  for (let i = 0; i < count; i++) {
    const kind = next() % 4;
    if (kind === 0) {
      yield Uint8Array.from({ length: next() % 64 }, () => next() & 0xff);
    } else if (kind === 1) {
      // Truncated valid payloads: every prefix is a broken msgpack value.
      const whole = valid[next() % valid.length]!;
      yield whole.subarray(0, next() % whole.length);
    } else if (kind === 2) {
      // Valid msgpack of the wrong shape.
      const shapes: unknown[] = [
        null,
        42,
        {},
        [],
        'x',
        [1, 2],
        ['a/b'],
        ['a/b', { type: 'weird' }],
        ['spawn', 1, 2, 3],
        ['spawn', 'sup/c9', 'counter', 'sup'],
        ['resume', 'sup/c9', -1, 'sup'],
        ['nope', 'sup/c9', null, 'sup'],
        { type: 5 },
        [false],
      ];
      yield encode(shapes[next() % shapes.length]);
    } else {
      // Valid msgpack with random extension types and bad extension bodies.
      const ext = Uint8Array.of(0xc7, 3, next() % 16, next() & 0xff, next() & 0xff, next() & 0xff);
      yield Uint8Array.of(0x92, ...ext, 0xc0);
    }
  }
}

beforeAll(async () => {
  server = await NatsServer.start();
  const cluster = { name: CLUSTER, log: (line: string) => logs.push(line) };
  host = await joinNode('host', server.url, cluster, true);
  sup = await joinNode('sup', server.url, cluster, false);
  sup.onDeadLetter((letter) => letters.push(letter));
  host.onDeadLetter((letter) => letters.push(letter));
  await allLive(sup, ['host', 'sup']);
  raw = await connect({ servers: server.url });
}, 60_000);

afterAll(async () => {
  await raw?.close();
  await sup?.shutdown();
  await host?.shutdown();
  await server?.kill();
});

describe('cluster wire input (real nats-server)', () => {
  it('drops random and truncated msgpack on every subject, counts and logs it once, and keeps working', async () => {
    const ref = sup.supervise(
      { children: [{ id: 'c', actor: counter, placement: 'cluster' }] },
      { id: 'fz' },
    );
    const c = ref.actor<CounterMsg, CounterReplies>('c')!;
    await until('counter started', () => c.ask({ type: 'add', by: 5 }));
    const guestSubject = `zph.${CLUSTER}.c.${c.address.replace('/', '.')}`;
    const subjects = [
      `zph.${CLUSTER}.exit.sup`,
      `zph.${CLUSTER}.exit.host`,
      `zph.${CLUSTER}.ctl.host`,
      `zph.${CLUSTER}.ctl.sup`,
      `zph.${CLUSTER}.a.sup.1`,
      `zph.${CLUSTER}.a.host.x.y`,
      guestSubject,
    ];
    const before = { sup: sup.clusterStats().malformedDropped, host: host.clusterStats().malformedDropped };
    let sent = 0;
    for (const payload of randomPayloads(0x2545f491, 3000)) {
      raw.publish(subjects[sent % subjects.length]!, payload);
      sent++;
    }
    // Requests with junk get an error answer (never a hang or a crash).
    const answer = await raw.request(`zph.${CLUSTER}.ctl.host`, Uint8Array.of(0xc0), { timeout: 5000 });
    expect(answer.data.length).toBeGreaterThan(0);
    await raw.flush();
    await until('every junk message counted', () => {
      const dropped =
        sup.clusterStats().malformedDropped - before.sup + host.clusterStats().malformedDropped - before.host;
      // Junk that happens to be a valid message for the guest is handled, not dropped.
      return dropped >= sent * 0.9 ? dropped : undefined;
    });
    // Logged at most once per interval per node, not once per message.
    expect(logs.filter((l) => l.includes('malformed')).length).toBeLessThanOrEqual(4);
    // Both nodes still read NATS: the actor answers, its state kept (no restart).
    const n = await c.ask({ type: 'get' });
    expect(n).toBeGreaterThanOrEqual(5);
    expect(ref.children()[0]!.restarts).toBe(0);
    expect(await sup.clusterNodes()).toEqual(expect.arrayContaining(['sup', 'host']));
  });

  it('dead-letters non-messages (null, 42, {}) sent to an actor instead of handing them to receive()', async () => {
    const sibling = sup.supervise(
      {
        children: [
          { id: 'target', actor: counter, placement: 'cluster' },
          { id: 'sibling', actor: counter, placement: 'cluster' },
        ],
      },
      { id: 'junk' },
    );
    const target = sibling.actor<CounterMsg, CounterReplies>('target')!;
    const other = sibling.actor<CounterMsg, CounterReplies>('sibling')!;
    await until('target started', () => target.ask({ type: 'add', by: 7 }));
    await until('sibling started', () => other.ask({ type: 'add', by: 3 }));
    const subject = `zph.${CLUSTER}.c.${target.address.replace('/', '.')}`;
    const seen = letters.length;
    for (let i = 0; i < 30; i++) for (const junk of [null, 42, {}]) raw.publish(subject, encode(junk));
    const reply = await raw.request(subject, encode({ no: 'type' }), { timeout: 5000 });
    expect(reply.data.length).toBeGreaterThan(0);
    await until('junk dead-lettered', () =>
      letters.slice(seen).filter((l) => l.reason === 'malformed').length >= 90 ? true : undefined,
    );
    expect(await target.ask({ type: 'get' })).toBe(7);
    expect(await other.ask({ type: 'get' })).toBe(3);
    expect(sibling.children().map((c) => c.restarts)).toEqual([0, 0]);
  });

  it('hands trace headers beside a message to the receive channel; junk headers are ignored, the message still handled as sent', async () => {
    const ref = sup.supervise(
      { children: [{ id: 'c', actor: counter, placement: 'cluster' }] },
      { id: 'hdr' },
    );
    const c = ref.actor<CounterMsg, CounterReplies>('c')!;
    await until('counter started', () => c.ask({ type: 'add', by: 1 }));
    const subject = `zph.${CLUSTER}.c.${c.address.replace('/', '.')}`;
    const seen: ReceiveTraceContext[] = [];
    const onStart = (data: unknown) => {
      const ctx = data as ReceiveTraceContext;
      if (ctx.address === c.address) seen.push(ctx);
    };
    receiveChannel.start.subscribe(onStart);
    const before = host.clusterStats().malformedDropped;
    try {
      const traceparent = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
      const good = natsHeaders();
      good.set('traceparent', traceparent);
      good.set('Baggage', 'k=v');
      const many = natsHeaders();
      for (let i = 0; i < 100; i++) many.set(`x-h${i}`, 'v');
      const huge = natsHeaders();
      huge.set('traceparent', traceparent);
      huge.set('tracestate', 'k='.padEnd(20_000, 'v'));
      const answers: unknown[] = [];
      for (const h of [good, many, huge]) {
        const answer = await raw.request(subject, encode({ type: 'add', by: 10 }), {
          timeout: 5000,
          headers: h,
        });
        answers.push(decode(answer.data));
      }
      expect(answers).toEqual([
        [true, 11],
        [true, 21],
        [true, 31],
      ]);
      expect(seen.map((x) => x.message)).toEqual([
        { type: 'add', by: 10 },
        { type: 'add', by: 10 },
        { type: 'add', by: 10 },
      ]);
      expect({ ...seen[0]!.headers }).toEqual({ traceparent, baggage: 'k=v' });
      expect(seen[1]!.headers).toBeUndefined();
      expect(seen[2]!.headers).toBeUndefined();
      expect(host.clusterStats().malformedDropped).toBe(before);
    } finally {
      receiveChannel.start.unsubscribe(onStart);
    }
  });

  it('rejects every ask that times out over NATS with AskTimeoutError, never a raw NATS error', async () => {
    const slow = sup.spawn(hog, { placement: 'cluster' });
    await until('slow started', () => slow.ask({ type: 'ping' }));
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => slow.ask({ type: 'sleep', ms: 400 }, { timeoutMs: 100 })),
    );
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(AskTimeoutError);
    }
  });
});
