// The topic relay's wire format (what crosses NATS for `app.publish` across processes): every
// frame decodes to what was encoded, and a malformed one is refused with a reason, never
// half-read. The relay itself runs against a real nats-server in @zephyr/server's
// websocket-nats test.
import { describe, expect, it } from 'vitest';
import { decodeTopicFrame, encodeTopicFrame, MAX_RELAYED_TOPIC_BYTES } from '../src/cluster/topic-relay.js';
import { InvalidArgumentError } from '../src/index.js';

describe('topic relay frames', () => {
  it('round-trip text and binary payloads, topics and origins of any UTF-8', () => {
    const text = encodeTopicFrame('node-1', 'room:é', 'héllo', false);
    expect(decodeTopicFrame(text)).toEqual({
      origin: 'node-1',
      topic: 'room:é',
      payload: 'héllo',
      isBinary: false,
    });
    const bytes = Uint8Array.from([0, 255, 1, 2]);
    const binary = decodeTopicFrame(encodeTopicFrame('n', 't'.repeat(MAX_RELAYED_TOPIC_BYTES), bytes, true));
    expect(binary.isBinary).toBe(true);
    expect(binary.topic.length).toBe(MAX_RELAYED_TOPIC_BYTES);
    expect(Array.from(binary.payload as Uint8Array)).toEqual([0, 255, 1, 2]);
    // A string sent as binary is its UTF-8 bytes.
    expect(Array.from(decodeTopicFrame(encodeTopicFrame('n', 't', 'é', true)).payload as Uint8Array)).toEqual(
      [0xc3, 0xa9],
    );
    expect(decodeTopicFrame(encodeTopicFrame('n', 't', '', false)).payload).toBe('');
  });

  it('refuses to encode what the format cannot hold', () => {
    expect(() => encodeTopicFrame('n', 't'.repeat(MAX_RELAYED_TOPIC_BYTES + 1), '', false)).toThrow(
      InvalidArgumentError,
    );
    expect(() => encodeTopicFrame('n'.repeat(256), 't', '', false)).toThrow(InvalidArgumentError);
  });

  it('refuses malformed frames with a reason', () => {
    const good = encodeTopicFrame('node', 'topic', 'payload', false);
    expect(() => decodeTopicFrame(good.subarray(0, 3))).toThrow(/too short/);
    expect(() => decodeTopicFrame(Uint8Array.from([0x7e, ...good.subarray(1)]))).toThrow(/version/);
    // Cut inside the origin, inside the topic; a zero-length topic.
    expect(() => decodeTopicFrame(Uint8Array.from([2, 200, 1, 2]))).toThrow(/origin/);
    expect(() => decodeTopicFrame(good.subarray(0, 2 + 4 + 2 + 3))).toThrow(/whole topic/);
    expect(() => decodeTopicFrame(Uint8Array.from([2, 1, 110, 0, 0, 1]))).toThrow(/whole topic/);
    // Text that is not UTF-8.
    const bad = Uint8Array.from(good);
    bad[bad.length - 1] = 0xff;
    expect(() => decodeTopicFrame(bad)).toThrow();
  });
});
