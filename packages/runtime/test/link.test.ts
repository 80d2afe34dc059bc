import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExitReason } from '../src/actor/message.js';
import { AskDeadlines } from '../src/actor/pending-ask.js';
import { UnreachableRef } from '../src/actor/routable-ref.js';
import { AskTimeoutError, InvalidArgumentError } from '../src/index.js';
import { PortTransport, STRING_FRAME_MAX_BYTES } from '../src/threads/frame-transport.js';
import { Link, type LinkHandler } from '../src/threads/link.js';
import { ShapeBuilders, ShapePacker } from '../src/threads/record-shapes.js';

/** Two links over a real MessageChannel in this thread; the far side records what it receives. */
function pair() {
  const { port1, port2 } = new MessageChannel();
  const deadlines = new AskDeadlines();
  const received: Array<[string, unknown]> = [];
  /** The headers each received message carried, in the same order. */
  const headers: unknown[] = [];
  const resolver = { resolveRef: (address: string) => new UnreachableRef(address, deadlines, () => {}) };
  const far: LinkHandler = {
    deliver: (address, msg, reply, carried) => {
      received.push([address, msg]);
      headers.push(carried);
      reply?.resolve({ echoed: msg });
    },
    control: () => true,
    exited: (_a: string, _r: ExitReason) => {},
    deadLetter: () => {},
    watch: () => () => {},
  };
  const near = new Link(new PortTransport(port1), resolver, { ...far, deliver: () => {} }, deadlines);
  new Link(new PortTransport(port2), resolver, far, deadlines);
  return {
    near,
    received,
    headers,
    close: () => {
      port1.close();
      port2.close();
    },
  };
}

let close: (() => void) | undefined;
afterEach(() => close?.());

describe('thread link wire format', () => {
  it('round-trips records, nested records, arrays, refs-free values and odd keys, in order', async () => {
    const p = pair();
    close = p.close;
    const msgs: unknown[] = [
      { type: 'add', by: 1, meta: { tags: ['a', 'b'], at: 17, ok: true } },
      { type: 'add', by: 2, meta: { tags: [], at: 18, ok: false } },
      { type: 'other', list: [{ deep: { deeper: 1 } }], empty: {} },
      { type: 'odd', 'key with "quotes"': 1, 'a;b': 2, '1:x{': 3 },
      { type: 'a;b', x: 1 },
      { type: 'nested', a: { b: { c: { d: 1 } } } },
      { type: 'nulls', v: null, u: undefined },
      { type: 'date', at: new Date(0) },
    ];
    for (const m of msgs) p.near.tell('n/1', m);
    await expect(p.near.request('n/2', { type: 'ask', n: 5 }, 1000)).resolves.toEqual({
      echoed: { type: 'ask', n: 5 },
    });
    expect(p.received.map(([a]) => a)).toEqual([...msgs.map(() => 'n/1'), 'n/2']);
    const got = p.received.map(([, m]) => m);
    expect(got.slice(0, 6)).toEqual(msgs.slice(0, 6));
    expect(got[6]).toEqual({ type: 'nulls', v: null, u: null });
    expect(got[7]).toEqual({ type: 'date', at: new Date(0) });
  });

  it('carries small frames (a string rebuilt in a slab) and large ones (a transferred buffer) alike', async () => {
    const p = pair();
    close = p.close;
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const big = Uint8Array.from({ length: STRING_FRAME_MAX_BYTES * 3 }, (_, i) => (i * 7) & 0xff);
    // Every byte value, non-ASCII text: latin1 must carry all 256 byte values unchanged.
    const small = { type: 'small', bytes, text: 'é€𝄞 zephyr' };
    await expect(p.near.request('n/1', small, 1000)).resolves.toEqual({ echoed: small });
    const large = { type: 'large', bytes: big, text: 'x'.repeat(STRING_FRAME_MAX_BYTES) };
    await expect(p.near.request('n/1', large, 1000)).resolves.toEqual({ echoed: large });
    const [[, first], [, second]] = p.received as [[string, typeof small], [string, typeof large]];
    expect(Object.getPrototypeOf(first.bytes)).toBe(Uint8Array.prototype);
    expect([...first.bytes]).toEqual([...bytes]);
    expect([...second.bytes]).toEqual([...big]);
  });

  it('keeps binary values of small frames intact while later frames arrive', async () => {
    const p = pair();
    close = p.close;
    // Each tell its own small frame, 300 of them: several slabs' worth. Binary values are views of
    // their frame, so a slab written twice would change the ones received first.
    const count = 300;
    for (let i = 0; i < count; i++) {
      p.near.tell('n/1', {
        type: 'bytes',
        bytes: Uint8Array.from({ length: 600 }, (_, j) => (i * 31 + j) & 0xff),
      });
      await new Promise((r) => setImmediate(r));
    }
    await expect(p.near.request('n/2', { type: 'ask', n: 0 }, 5000)).resolves.toBeDefined();
    const got = p.received.slice(0, count).map(([, m]) => (m as { bytes: Uint8Array }).bytes);
    expect(got).toHaveLength(count);
    got.forEach((bytes, i) => {
      expect(bytes.every((b, j) => b === ((i * 31 + j) & 0xff))).toBe(true);
    });
  });

  it('holds frames in the port while paused and delivers them in order on resume', async () => {
    const { port1, port2 } = new MessageChannel();
    close = () => {
      port1.close();
      port2.close();
    };
    const sender = new PortTransport(port1);
    const receiver = new PortTransport(port2);
    const got: number[] = [];
    receiver.onFrame((frame) => {
      got.push(frame[0]!);
      // Paused between two frames Node is delivering in one go: the rest must wait.
      if (frame[0] === 2) receiver.pause();
    });
    for (let i = 1; i <= 5; i++) sender.send(new Uint8Array([i]));
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([1, 2]);
    receiver.resume();
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses a "__proto__" key at the sender (msgpack would refuse it at the receiver)', async () => {
    const p = pair();
    close = p.close;
    const hostile = JSON.parse('{"type":"proto","__proto__":{"polluted":true}}') as unknown;
    expect(() => p.near.tell('n/1', hostile)).toThrow(InvalidArgumentError);
    await expect(p.near.request('n/1', hostile, 1000)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('rejects an ask whose message cannot be encoded, and still sends the rest of the batch', async () => {
    const p = pair();
    close = p.close;
    p.near.tell('n/1', { type: 'before' });
    const bad = p.near.request('n/1', { type: 'fn', f: () => 1 }, 1000);
    p.near.tell('n/1', { type: 'after' });
    await expect(bad).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(p.near.request('n/1', { type: 'sync' }, 1000)).resolves.toBeDefined();
    expect(p.received.map(([, m]) => (m as { type: string }).type)).toEqual(['before', 'after', 'sync']);
  });

  it('carries headers beside the message they were sent with, and only that one', async () => {
    const p = pair();
    close = p.close;
    const traceparent = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    p.near.tell('n/1', { type: 'traced', n: 1 }, { traceparent });
    p.near.tell('n/1', { type: 'plain', n: 2 });
    // Not a record (no shape): the other op kind carries headers the same way.
    p.near.tell('n/1', { type: 'map', m: new Map([[1, 2]]) }, { traceparent, baggage: 'k=v' });
    const asked = new Promise((resolve, reject) =>
      p.near.ask('n/1', { type: 'ask' }, { resolve, reject }, { traceparent }),
    );
    await expect(asked).resolves.toEqual({ echoed: { type: 'ask' } });
    // A message dropped as unencodable takes its headers with it: the next one does not get them.
    p.near.tell('n/1', { type: 'fn', deep: [() => 1] }, { traceparent });
    await expect(p.near.request('n/1', { type: 'after' }, 1000)).resolves.toBeDefined();
    expect(p.received.map(([, m]) => m)).toEqual([
      { type: 'traced', n: 1 },
      { type: 'plain', n: 2 },
      { type: 'map', m: new Map([[1, 2]]) },
      { type: 'ask' },
      { type: 'after' },
    ]);
    expect(p.headers).toEqual([
      { traceparent },
      undefined,
      { traceparent, baggage: 'k=v' },
      { traceparent },
      undefined,
    ]);
  });

  it('times out asks nobody answers', async () => {
    const p = pair();
    close = p.close;
    const { port1 } = new MessageChannel();
    const deadlines = new AskDeadlines();
    const silent = new Link(
      new PortTransport(port1),
      {
        resolveRef: () => {
          throw new Error('unused');
        },
      },
      {} as LinkHandler,
      deadlines,
    );
    await expect(silent.request('n/1', { type: 'x' }, 30)).rejects.toBeInstanceOf(AskTimeoutError);
    port1.close();
  });
});

describe('record shapes', () => {
  it('gives one id per distinct key layout and rebuilds equal objects', () => {
    const packer = new ShapePacker();
    const builders = new ShapeBuilders();
    const define = (id: number, d: unknown) => builders.define(id, d);
    const a = { type: 'x', n: 1, o: { p: [1, 2] } };
    const id1 = packer.pack(a, define);
    const values = [...packer.values];
    expect(packer.pack({ type: 'y', n: 2, o: { p: [] } }, define)).toBe(id1);
    expect(packer.pack({ n: 1, type: 'x', o: { p: 1 } }, define)).not.toBe(id1);
    expect(builders.build(id1, values, 0)).toEqual(a);
    expect(packer.pack([1, 2], define)).toBe(-1);
    expect(packer.pack(new Map(), define)).toBe(-1);
  });

  it('refuses malformed shapes from the wire', () => {
    const builders = new ShapeBuilders();
    expect(() => builders.define(0, 'x')).toThrow(InvalidArgumentError);
    expect(() => builders.define(0, [1])).toThrow(InvalidArgumentError);
    expect(() => builders.define(0, ['__proto__'])).toThrow(InvalidArgumentError);
    expect(() => builders.size(9)).toThrow(InvalidArgumentError);
  });
});
