import { ClusterDisconnectedError, InvalidArgumentError } from '../errors.js';

/** Where a relayed publish is delivered: the receiving process's own fan-out. */
export type TopicDelivery = (topic: string, payload: string | Uint8Array, isBinary: boolean) => void;

/** What a {@link TopicRelay} has done since it was made. */
export interface TopicRelayStats {
  /** Publishes handed to NATS (including those buffered during an outage). */
  readonly sent: number;
  /** Publishes from other nodes delivered here. */
  readonly received: number;
  /** Publishes not relayed because NATS was away and the outage buffer was full. */
  readonly dropped: number;
}

/**
 * Carries topic publishes (`@zephyr/server`'s `app.publish`) to every other node of the cluster
 * over the node's NATS link, and delivers theirs here. It has the shape `@zephyr/server`'s
 * `PublishRelay` asks for: `app.relayPublishes(system.topicRelay())`.
 *
 * A NATS outage never reaches the caller: `send` buffers like any cluster send, and once the
 * outage buffer (`cluster.maxBufferedBytes`) is full, drops the relayed copy (counted in
 * `stats().dropped`, logged once per outage) — the local fan-out, which the caller does itself,
 * is not affected.
 */
export interface TopicRelay {
  /** Relays a publish made in this process to the other nodes. Never throws for an outage. */
  send(topic: string, payload: string | Uint8Array, isBinary: boolean): void;
  /** Delivers the other nodes' publishes to `deliver` (one receiver; a second call replaces it). */
  receive(deliver: TopicDelivery): void;
  stats(): TopicRelayStats;
}

/** What the relay needs of the cluster link. */
export interface TopicFrameLink {
  sendTopicFrame(bytes: Uint8Array): void;
  onTopicFrame(handle: (bytes: Uint8Array) => void): void;
}

/** Wire format version of a topic frame (its first byte, high bits). */
const FRAME_VERSION = 1;
const BINARY_FLAG = 1;
/** Topic names are at most this many UTF-8 bytes on the wire (a u16 length). */
export const MAX_RELAYED_TOPIC_BYTES = 0xffff;

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * One publish as it crosses NATS: `[version << 1 | binary][origin length][origin][topic length,
 * u16 BE][topic][payload]`. The origin (a node id) lets each node skip its own publishes, which
 * NATS echoes back to it.
 */
export function encodeTopicFrame(
  origin: string,
  topic: string,
  payload: string | Uint8Array,
  isBinary: boolean,
): Uint8Array {
  const o = utf8.encode(origin);
  const t = utf8.encode(topic);
  const p = typeof payload === 'string' ? utf8.encode(payload) : payload;
  if (o.length > 0xff) throw new InvalidArgumentError(`topic relay: node id is ${o.length} bytes, over 255`);
  if (t.length > MAX_RELAYED_TOPIC_BYTES)
    throw new InvalidArgumentError(
      `topic relay: topic is ${t.length} bytes, over ${MAX_RELAYED_TOPIC_BYTES}`,
    );
  const frame = new Uint8Array(2 + o.length + 2 + t.length + p.length);
  frame[0] = (FRAME_VERSION << 1) | (isBinary ? BINARY_FLAG : 0);
  frame[1] = o.length;
  frame.set(o, 2);
  let at = 2 + o.length;
  frame[at] = t.length >> 8;
  frame[at + 1] = t.length & 0xff;
  at += 2;
  frame.set(t, at);
  frame.set(p, at + t.length);
  return frame;
}

/** A decoded topic frame. */
export interface TopicFrame {
  origin: string;
  topic: string;
  payload: string | Uint8Array;
  isBinary: boolean;
}

/**
 * Reads a topic frame; text payloads must be valid UTF-8.
 * @throws {Error} naming what is wrong with a malformed frame.
 */
export function decodeTopicFrame(frame: Uint8Array): TopicFrame {
  if (frame.length < 4) throw new Error(`topic frame of ${frame.length} bytes is too short`);
  const head = frame[0]!;
  if (head >> 1 !== FRAME_VERSION)
    throw new Error(`topic frame version ${head >> 1} is not ${FRAME_VERSION}`);
  const originEnd = 2 + frame[1]!;
  if (originEnd + 2 > frame.length) throw new Error('topic frame is cut inside its origin');
  const topicLength = (frame[originEnd]! << 8) | frame[originEnd + 1]!;
  const topicEnd = originEnd + 2 + topicLength;
  if (topicLength === 0 || topicEnd > frame.length) throw new Error('topic frame has no whole topic');
  const isBinary = (head & BINARY_FLAG) !== 0;
  const body = frame.subarray(topicEnd);
  return {
    origin: strictUtf8.decode(frame.subarray(2, originEnd)),
    topic: strictUtf8.decode(frame.subarray(originEnd + 2, topicEnd)),
    payload: isBinary ? body : strictUtf8.decode(body),
    isBinary,
  };
}

/** The cluster's topic relay for node `nodeId` over `link`. */
export function createTopicRelay(
  nodeId: string,
  link: TopicFrameLink,
  log: (line: string) => void,
): TopicRelay {
  let sent = 0;
  let received = 0;
  let dropped = 0;
  let deliver: TopicDelivery | undefined;
  let droppingSince = 0;
  let subscribed = false;
  return {
    send(topic, payload, isBinary) {
      const frame = encodeTopicFrame(nodeId, topic, payload, isBinary);
      try {
        link.sendTopicFrame(frame);
        sent++;
        droppingSince = 0;
      } catch (err) {
        if (!(err instanceof ClusterDisconnectedError)) throw err;
        dropped++;
        if (droppingSince++ === 0)
          log(
            `[zephyr/runtime] node ${nodeId}: NATS is away and its outage buffer is full; publishes are ` +
              `delivered in this process only until it is back (${err.message})`,
          );
      }
    },
    receive(handler) {
      deliver = handler;
      if (subscribed) return;
      subscribed = true;
      link.onTopicFrame((bytes) => {
        const frame = decodeTopicFrame(bytes);
        if (frame.origin === nodeId) return;
        received++;
        deliver?.(frame.topic, frame.payload, frame.isBinary);
      });
    },
    stats: () => ({ sent, received, dropped }),
  };
}
