// The WebSocket contract between an engine and whoever serves WebSockets with it
// (`@zephyr/server`'s `app.ws()`). The node engine implements it with the `ws` package
// (node-websocket.ts); the io_uring engine will implement it with the Rust session in
// crates/zephyr-uring/src/ws, behind the same types.

import type { EngineRequest } from './engine.js';
import { InvalidArgumentError } from './errors.js';

/** Limits of WebSocket connections. Every one has a default (see {@link defaultWebSocketLimits}). */
export interface WebSocketLimits {
  /** Largest message, after decompression and over all fragments (default 16 MiB). Beyond: close 1009. */
  maxPayloadBytes: number;
  /**
   * A connection that sends nothing (no message, no pong) for this long is closed with 1001
   * (default 120 s); a ping goes out at half of it, so a live client's pong keeps it open. 0: never.
   */
  idleTimeoutMs: number;
  /**
   * Bytes queued for one slow client past which `send` applies {@link backpressurePolicy}
   * (default 16 MiB), so a slow consumer cannot grow memory without bound.
   */
  maxBackpressureBytes: number;
  /** `close` (default): the slow consumer is disconnected; `drop`: the message is dropped. */
  backpressurePolicy: 'close' | 'drop';
  /** Open WebSocket connections per listener (default 10000). Beyond: the upgrade gets 503. */
  maxConnections: number;
  /** Offer permessage-deflate (RFC 7692) to clients (default false: it costs CPU and memory per connection). */
  perMessageDeflate: boolean;
}

/** The defaults of {@link WebSocketLimits}. */
export const defaultWebSocketLimits: Readonly<WebSocketLimits> = Object.freeze({
  maxPayloadBytes: 16 * 1024 * 1024,
  idleTimeoutMs: 120_000,
  maxBackpressureBytes: 16 * 1024 * 1024,
  backpressurePolicy: 'close',
  maxConnections: 10_000,
  perMessageDeflate: false,
});

/** What `send` did: `sent` (handed to the socket), `buffered` (queued; a `drain` follows), `dropped` (over the backpressure limit, or closed). */
export type WebSocketSendStatus = 'sent' | 'buffered' | 'dropped';

/** Longest topic name, in UTF-8 bytes: topics are names, not payloads. */
export const MAX_TOPIC_BYTES = 1024;

/** Checks a topic name (a non-empty string of at most {@link MAX_TOPIC_BYTES}); returns its byte length. */
export function checkTopic(topic: unknown, what: string): number {
  if (typeof topic !== 'string' || topic === '') {
    throw new InvalidArgumentError(`${what}: topic must be a non-empty string`);
  }
  const bytes = Buffer.byteLength(topic);
  if (bytes > MAX_TOPIC_BYTES) {
    throw new InvalidArgumentError(
      `${what}: topic is ${bytes} bytes, over the ${MAX_TOPIC_BYTES}-byte limit`,
    );
  }
  return bytes;
}

/** Checks what `close(code, reason)` was given: a code an endpoint may send (1000–1014 less the
 * reserved 1004–1006, or 3000–4999) and a reason of at most 123 UTF-8 bytes; returns its bytes. */
export function checkClose(code: unknown, reason: unknown): number {
  const ok =
    Number.isInteger(code) &&
    (((code as number) >= 1000 && (code as number) <= 1014 && ![1004, 1005, 1006].includes(code as number)) ||
      ((code as number) >= 3000 && (code as number) <= 4999));
  if (!ok) throw new InvalidArgumentError(`close: invalid close code ${String(code)}`);
  if (typeof reason !== 'string') throw new InvalidArgumentError('close: reason must be a string');
  const bytes = Buffer.byteLength(reason);
  if (bytes > 123) throw new InvalidArgumentError(`close: reason is ${bytes} bytes, over 123`);
  return bytes;
}

/** Close code an engine uses for a slow consumer past `maxBackpressureBytes` (RFC 6455 1013, "try again later"). */
export const CLOSE_BACKPRESSURE = 1013;
/** Close code for an idle connection (1001, "going away"). */
export const CLOSE_IDLE = 1001;

/** One open WebSocket, as the engine serves it. */
export interface EngineWebSocket {
  /** Sends a text (string, or `isBinary: false`) or binary message; see {@link WebSocketSendStatus}. */
  send(data: string | Uint8Array, isBinary?: boolean): WebSocketSendStatus;
  /** Bytes queued and not yet written to the socket. */
  readonly bufferedAmount: number;
  /** The subprotocol agreed in the handshake, or `''`. */
  readonly protocol: string;
  /** Peer address. */
  readonly remoteAddress: string;
  /** Starts the close handshake (default code 1000). */
  close(code?: number, reason?: string): void;
  /** Drops the connection at once, without a close handshake. */
  terminate(): void;
  /** Receives messages published to `topic` (see {@link WebSocketHub.publish}). */
  subscribe(topic: string): void;
  /** Stops receiving `topic`. */
  unsubscribe(topic: string): void;
  /** Whether subscribed to `topic`. */
  isSubscribed(topic: string): boolean;
}

/** Callbacks of one accepted connection. Errors thrown by them close the connection with 1011. */
export interface WebSocketHandlers {
  open?(ws: EngineWebSocket): void;
  /** A whole message: text arrives as valid UTF-8 bytes with `isBinary` false. */
  message?(ws: EngineWebSocket, data: Buffer, isBinary: boolean): void;
  /** The queue drained after `send` returned `buffered`. */
  drain?(ws: EngineWebSocket): void;
  /** The connection is gone; `code` 1005 when the peer gave none, 1006 when it vanished. */
  close?(ws: EngineWebSocket, code: number, reason: string): void;
}

/** The answer to an upgrade request: accept with handlers, or refuse with an HTTP response. */
export type UpgradeAnswer =
  | { accept: WebSocketHandlers; protocol?: string; headers?: Record<string, string | readonly string[]> }
  | { refuse: number; headers?: Record<string, string | readonly string[]>; body?: Uint8Array | string };

/** Decides on an upgrade request (`Upgrade: websocket`) after the engine checked the handshake. */
export type UpgradeHandler = (req: EngineRequest) => UpgradeAnswer | Promise<UpgradeAnswer>;

/** Topics fan-out of one listener. */
export interface WebSocketHub {
  /** Sends one message to every subscriber of `topic`, encoded once; returns how many got it. */
  publish(topic: string, data: string | Uint8Array, isBinary?: boolean): number;
  /** Subscribers of `topic`. */
  subscribers(topic: string): number;
  /** Open WebSocket connections. */
  readonly connections: number;
}

/** WebSocket serving for `listen`: the upgrade decision, limits, and where the hub is handed over. */
export interface WebSocketServing {
  upgrade: UpgradeHandler;
  limits?: Partial<WebSocketLimits>;
  /** Called with the listener's hub before `listen` resolves. */
  attach?(hub: WebSocketHub): void;
}

/** Validates `limits` over the defaults; a wrong one throws `ZEPHYR_ERR_INVALID_ARGUMENT`. */
export function resolveWebSocketLimits(limits: Partial<WebSocketLimits> = {}): WebSocketLimits {
  if (typeof limits !== 'object' || limits === null) {
    throw new InvalidArgumentError('websocket limits must be an object');
  }
  const known = new Set(Object.keys(defaultWebSocketLimits));
  for (const key of Object.keys(limits)) {
    if (!known.has(key)) throw new InvalidArgumentError(`unknown websocket limit ${JSON.stringify(key)}`);
  }
  const out: WebSocketLimits = { ...defaultWebSocketLimits };
  const count = (
    key: 'maxPayloadBytes' | 'idleTimeoutMs' | 'maxBackpressureBytes' | 'maxConnections',
    min: number,
  ): void => {
    const value = limits[key];
    if (value === undefined) return;
    if (!Number.isSafeInteger(value) || value < min) {
      throw new InvalidArgumentError(`websocket ${key} must be an integer >= ${min}, got ${String(value)}`);
    }
    out[key] = value;
  };
  count('maxPayloadBytes', 1);
  count('idleTimeoutMs', 0);
  count('maxBackpressureBytes', 1);
  count('maxConnections', 1);
  if (limits.backpressurePolicy !== undefined) {
    if (limits.backpressurePolicy !== 'close' && limits.backpressurePolicy !== 'drop') {
      throw new InvalidArgumentError(
        `websocket backpressurePolicy must be 'close' or 'drop', got ${String(limits.backpressurePolicy)}`,
      );
    }
    out.backpressurePolicy = limits.backpressurePolicy;
  }
  if (limits.perMessageDeflate !== undefined) {
    if (typeof limits.perMessageDeflate !== 'boolean') {
      throw new InvalidArgumentError('websocket perMessageDeflate must be a boolean');
    }
    out.perMessageDeflate = limits.perMessageDeflate;
  }
  return out;
}
