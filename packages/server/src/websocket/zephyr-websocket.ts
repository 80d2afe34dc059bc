import type { EngineWebSocket, WebSocketSendStatus } from '@zephyr/uring';

/** What `send` and `publish` take: text, bytes, or any other value, sent as JSON text. */
export type WebSocketData = string | Uint8Array | ArrayBuffer | number | boolean | null | object;

/** Encodes once: strings and bytes as they are, anything else as JSON text. */
export function encodeMessage(data: WebSocketData): { payload: string | Uint8Array; isBinary: boolean } {
  if (typeof data === 'string') return { payload: data, isBinary: false };
  if (data instanceof Uint8Array) return { payload: data, isBinary: true };
  if (data instanceof ArrayBuffer) return { payload: new Uint8Array(data), isBinary: true };
  const json = JSON.stringify(data);
  if (json === undefined) throw new TypeError('WebSocket message is not serialisable as JSON');
  return { payload: json, isBinary: false };
}

/**
 * One open WebSocket on an `app.ws()` route, with the route's typed `params` and whatever the
 * route's `upgrade` returned as `data`.
 */
export class ZephyrWebSocket<Params = Record<string, string>, Data = undefined> {
  readonly #socket: EngineWebSocket;
  /** Path parameters of the upgrade request. */
  readonly params: Params;
  /** What the route's `upgrade` returned (e.g. the authenticated user). */
  readonly data: Data;

  constructor(socket: EngineWebSocket, params: Params, data: Data) {
    this.#socket = socket;
    this.params = params;
    this.data = data;
  }

  /**
   * Sends a message: strings as text, bytes as binary, other values as JSON text. Returns
   * `sent`, `buffered` (a `drain` follows) or `dropped` (over the backpressure limit, or closed).
   */
  send(data: WebSocketData): WebSocketSendStatus {
    const { payload, isBinary } = encodeMessage(data);
    return this.#socket.send(payload, isBinary);
  }

  /** Bytes queued for this client and not yet written. */
  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  /** The subprotocol agreed in the handshake, or `''`. */
  get protocol(): string {
    return this.#socket.protocol;
  }

  /** Peer address. */
  get remoteAddress(): string {
    return this.#socket.remoteAddress;
  }

  /** Receives what `app.publish(topic, …)` sends. */
  subscribe(topic: string): void {
    this.#socket.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    this.#socket.unsubscribe(topic);
  }

  isSubscribed(topic: string): boolean {
    return this.#socket.isSubscribed(topic);
  }

  /** Starts the close handshake (default 1000). */
  close(code?: number, reason?: string): void {
    this.#socket.close(code, reason);
  }

  /** Drops the connection without a close handshake. */
  terminate(): void {
    this.#socket.terminate();
  }
}
