// The WebSocket contract (websocket.ts) on the io_uring engine. The handshake's checks and the
// application's upgrade decision happen here; the 101, framing, deflate, the close handshake,
// idle pings and topic fan-out happen in Rust (crates/zephyr-uring/src/ws_conn.rs,
// server_ws.rs), driven by commands and reporting through events, like HTTP responses.

import { InvalidArgumentError } from './errors.js';
import type { CommandAddress, CommandWriter } from './uring-commands.js';
import type { UringExchange } from './uring-exchange.js';
import {
  checkClose,
  checkTopic,
  type EngineWebSocket,
  resolveWebSocketLimits,
  type UpgradeAnswer,
  type WebSocketHandlers,
  type WebSocketHub,
  type WebSocketLimits,
  type WebSocketSendStatus,
  type WebSocketServing,
} from './websocket.js';

/**
 * Bytes sent since the engine last confirmed the connection's queue empty past which `send`
 * answers `buffered` and asks the engine for that confirmation (the `drain`). The engine's queue
 * is only known when it reports, so `bufferedAmount` is an upper bound: what was handed to it
 * since the last confirmation.
 */
const DRAIN_MARK = 64 * 1024;
/** Longest ping payload (a control frame's payload). */
const MAX_PING_BYTES = 125;
const OPEN = 0;
const CLOSING = 1;
const CLOSED = 2;

/** What the hub needs of the engine: the command buffer and a flush once the batch ends. */
export interface WebSocketIo {
  readonly commands: CommandWriter;
  /** Makes sure what was queued is flushed (at the end of the batch, or in a microtask). */
  schedule(): void;
  /** Drops the connection now. */
  destroy(to: CommandAddress): void;
  peerAddress(ex: UringExchange): string;
}

function messageBytes(data: unknown, what: string): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (data instanceof Uint8Array) return data.byteLength;
  throw new InvalidArgumentError(`${what}: data must be a string or a Uint8Array`);
}

/** One connection on the ring. */
class UringWebSocket implements EngineWebSocket, CommandAddress {
  readonly topics = new Set<string>();
  state = OPEN;
  private buffered = 0;
  private drainAsked = false;
  private needsDrain = false;
  private parts: Buffer[] | undefined;

  constructor(
    readonly index: number,
    readonly gen: number,
    readonly seq: number,
    private readonly hub: UringWebSocketHub,
    readonly remoteAddress: string,
    readonly protocol: string,
    readonly handlers: WebSocketHandlers,
  ) {}

  get bufferedAmount(): number {
    return this.buffered;
  }

  send(data: string | Uint8Array, isBinary = typeof data !== 'string'): WebSocketSendStatus {
    const bytes = messageBytes(data, 'send');
    if (this.state !== OPEN) return 'dropped';
    const limits = this.hub.limits;
    if (this.buffered + bytes > limits.maxBackpressureBytes) {
      this.needsDrain = true;
      if (limits.backpressurePolicy === 'close') this.hub.dropSlowConsumer(this);
      return 'dropped';
    }
    this.buffered += bytes;
    const over = this.buffered >= DRAIN_MARK;
    const ask = over && !this.drainAsked;
    if (ask) this.drainAsked = true;
    this.hub.io.commands.wsSend(this, data, bytes, isBinary, ask);
    this.hub.io.schedule();
    if (!over) return 'sent';
    this.needsDrain = true;
    return 'buffered';
  }

  close(code = 1000, reason = ''): void {
    const reasonBytes = checkClose(code, reason);
    if (this.state !== OPEN) return;
    this.state = CLOSING;
    this.hub.io.commands.wsClose(this, code, reason, reasonBytes);
    this.hub.io.schedule();
  }

  terminate(): void {
    if (this.state === CLOSED) return;
    this.hub.io.destroy(this);
    this.hub.closed(this, 1006, '');
  }

  /** Sends a ping (the engine pings idle connections by itself). */
  ping(payload: Uint8Array = new Uint8Array(0)): void {
    if (payload.byteLength > MAX_PING_BYTES) throw new InvalidArgumentError('ping: payload over 125 bytes');
    if (this.state !== OPEN) return;
    this.hub.io.commands.wsPing(this, payload);
    this.hub.io.schedule();
  }

  subscribe(topic: string): void {
    const bytes = checkTopic(topic, 'subscribe');
    if (this.state === CLOSED || this.topics.has(topic)) return;
    this.topics.add(topic);
    this.hub.join(topic, this, bytes);
  }

  unsubscribe(topic: string): void {
    if (typeof topic !== 'string' || !this.topics.delete(topic)) return;
    this.hub.leave(topic, this, true);
  }

  isSubscribed(topic: string): boolean {
    return this.topics.has(topic);
  }

  /** A piece of a message arrived; the whole one goes to the handler. */
  piece(chunk: Buffer, binary: boolean, last: boolean): void {
    if (!last) {
      if (this.parts) this.parts.push(chunk);
      else this.parts = [chunk];
      return;
    }
    const parts = this.parts;
    this.parts = undefined;
    const data = parts ? Buffer.concat([...parts, chunk]) : chunk;
    if (this.state === CLOSED) return;
    const message = this.handlers.message;
    if (message) this.hub.guarded(this, 'message', () => message(this, data, binary));
  }

  /** The engine sent everything queued. */
  drained(): void {
    this.buffered = 0;
    this.drainAsked = false;
    if (!this.needsDrain || this.state !== OPEN) return;
    this.needsDrain = false;
    const drain = this.handlers.drain;
    if (drain) this.hub.guarded(this, 'drain', () => drain(this));
  }
}

/** The io_uring engine's WebSocket side of one listener. */
export class UringWebSocketHub implements WebSocketHub {
  readonly limits: WebSocketLimits;
  private readonly open = new Map<number, UringWebSocket>();
  private readonly byTopic = new Map<string, Set<UringWebSocket>>();
  /** Upgrades being decided, counted against maxConnections with the open ones. */
  private pending = 0;

  constructor(
    private readonly serving: WebSocketServing,
    readonly io: WebSocketIo,
  ) {
    this.limits = resolveWebSocketLimits(serving.limits);
  }

  get connections(): number {
    return this.open.size;
  }

  /** Handles a request asking to upgrade to `websocket`: checks, asks the application, answers. */
  handleUpgrade(ex: UringExchange): void {
    const problem = handshakeProblem(ex);
    if (problem) {
      refuse(ex, problem.status, problem.headers, problem.message);
      return;
    }
    if (this.open.size + this.pending >= this.limits.maxConnections) {
      refuse(ex, 503, { 'retry-after': '1' }, 'too many WebSocket connections');
      return;
    }
    let answer: UpgradeAnswer | Promise<UpgradeAnswer>;
    try {
      answer = this.serving.upgrade(ex);
    } catch (err) {
      this.upgradeFailed(ex, err);
      return;
    }
    if (typeof (answer as Promise<UpgradeAnswer>).then !== 'function') {
      this.decided(ex, answer as UpgradeAnswer);
      return;
    }
    this.pending += 1;
    (answer as Promise<UpgradeAnswer>)
      .then(
        (decided) => this.decided(ex, decided),
        (err: unknown) => this.upgradeFailed(ex, err),
      )
      .finally(() => {
        this.pending -= 1;
      });
  }

  private upgradeFailed(ex: UringExchange, err: unknown): void {
    console.error('zephyr: websocket upgrade handler failed:', err);
    refuse(ex, 500);
  }

  private decided(ex: UringExchange, decided: UpgradeAnswer): void {
    if ('refuse' in decided) {
      refuse(ex, decided.refuse, decided.headers, decided.body);
      return;
    }
    if (ex.gone) return;
    const fields: Array<string | readonly string[]> = [];
    if (decided.protocol) fields.push('sec-websocket-protocol', decided.protocol);
    for (const [name, value] of Object.entries(decided.headers ?? {})) fields.push(name.toLowerCase(), value);
    const limits = this.limits;
    this.io.commands.wsAccept(ex, {
      maxPayloadBytes: limits.maxPayloadBytes,
      maxBackpressureBytes: limits.maxBackpressureBytes,
      idleTimeoutMs: limits.idleTimeoutMs,
      deflate: limits.perMessageDeflate,
      drop: limits.backpressurePolicy === 'drop',
      key: ex.header('sec-websocket-key') ?? '',
      extensions: ex.header('sec-websocket-extensions') ?? '',
      fields,
    });
    this.io.schedule();
    const ws = new UringWebSocket(
      ex.index,
      ex.gen,
      ex.seq,
      this,
      this.io.peerAddress(ex),
      decided.protocol ?? '',
      decided.accept,
    );
    ex.upgraded();
    // The engine reuses a slot only once its connection is gone; if the report of that has not
    // arrived yet (it comes at the end of the batch), the old one is closed here.
    const previous = this.open.get(ex.index);
    if (previous) this.closed(previous, 1006, '');
    this.open.set(ex.index, ws);
    const open = ws.handlers.open;
    if (open) this.guarded(ws, 'open', () => open(ws));
  }

  /** Runs a handler; one that throws closes its connection with 1011. */
  guarded(ws: UringWebSocket, what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      console.error(`zephyr: websocket ${what} handler failed:`, err);
      if (ws.state === OPEN) ws.close(1011, 'internal error');
    }
  }

  private find(index: number, gen: number): UringWebSocket | undefined {
    const ws = this.open.get(index);
    return ws && ws.gen === gen ? ws : undefined;
  }

  onMessage(index: number, gen: number, chunk: Buffer, binary: boolean, last: boolean): void {
    this.find(index, gen)?.piece(chunk, binary, last);
  }

  onClose(index: number, gen: number, code: number, reason: string): void {
    const ws = this.find(index, gen);
    if (ws) this.closed(ws, code, reason);
  }

  /** The connection vanished; true when it was one of ours. */
  onAborted(index: number, gen: number): boolean {
    const ws = this.find(index, gen);
    if (!ws) return false;
    this.closed(ws, 1006, '');
    return true;
  }

  /** The engine's queue for a connection emptied; true when it was one of ours. */
  onDrained(index: number, gen: number): boolean {
    const ws = this.find(index, gen);
    if (!ws) return false;
    ws.drained();
    return true;
  }

  /** A slow consumer past maxBackpressureBytes with the close policy: dropped at once. */
  dropSlowConsumer(ws: UringWebSocket): void {
    // Its queue is full, so a close frame would wait behind it: the engine drops it once what
    // it queued (the 101 first) has started going out.
    this.io.commands.wsClose(ws, 1006, '', 0, true);
    this.io.schedule();
    this.closed(ws, 1006, '');
  }

  closed(ws: UringWebSocket, code: number, reason: string): void {
    if (ws.state === CLOSED) return;
    ws.state = CLOSED;
    if (this.open.get(ws.index) === ws) this.open.delete(ws.index);
    for (const topic of ws.topics) this.leave(topic, ws, false);
    ws.topics.clear();
    const close = ws.handlers.close;
    if (close) this.guarded(ws, 'close', () => close(ws, code, reason));
  }

  join(topic: string, ws: UringWebSocket, topicBytes: number): void {
    let set = this.byTopic.get(topic);
    if (!set) {
      set = new Set();
      this.byTopic.set(topic, set);
    }
    set.add(ws);
    this.io.commands.wsSubscribe(ws, topic, topicBytes, true);
    this.io.schedule();
  }

  leave(topic: string, ws: UringWebSocket, tellEngine: boolean): void {
    const set = this.byTopic.get(topic);
    if (set) {
      set.delete(ws);
      if (set.size === 0) this.byTopic.delete(topic);
    }
    // A closed connection leaves the engine's topics by itself.
    if (tellEngine) {
      this.io.commands.wsSubscribe(ws, topic, Buffer.byteLength(topic), false);
      this.io.schedule();
    }
  }

  publish(topic: string, data: string | Uint8Array, isBinary = typeof data !== 'string'): number {
    const topicBytes = checkTopic(topic, 'publish');
    const bytes = messageBytes(data, 'publish');
    const set = this.byTopic.get(topic);
    if (!set) return 0;
    // Framed once and fanned out in Rust: one command, whatever the number of subscribers (a
    // connection leaves its topics when it closes, so the set's size is the count).
    this.io.commands.wsPublish(topic, topicBytes, data, bytes, isBinary);
    this.io.schedule();
    return set.size;
  }

  subscribers(topic: string): number {
    return this.byTopic.get(topic)?.size ?? 0;
  }
}

/** Why an upgrade request is not a valid WebSocket handshake (RFC 6455 §4.2.1), or nothing. */
function handshakeProblem(
  ex: UringExchange,
): { status: number; headers?: Record<string, string>; message: string } | undefined {
  if (ex.method !== 'GET')
    return { status: 405, headers: { allow: 'GET' }, message: 'WebSocket upgrade requires GET' };
  if (ex.httpVersion !== '1.1') return { status: 400, message: 'WebSocket upgrade requires HTTP/1.1' };
  if (!/(^|,)\s*upgrade\s*(,|$)/i.test(ex.header('connection') ?? '')) {
    return { status: 400, message: 'Connection header must contain upgrade' };
  }
  const key = ex.header('sec-websocket-key') ?? '';
  if (!/^[A-Za-z0-9+/]{22}==$/.test(key)) return { status: 400, message: 'invalid Sec-WebSocket-Key' };
  if (ex.header('sec-websocket-version') !== '13') {
    return {
      status: 426,
      headers: { 'sec-websocket-version': '13' },
      message: 'unsupported Sec-WebSocket-Version (13 is supported)',
    };
  }
  return undefined;
}

/** Whether a request asks to upgrade to WebSocket (its `Upgrade` names `websocket`). */
export function isWebSocketUpgrade(ex: UringExchange): boolean {
  return /(^|,)\s*websocket\s*(,|$)/i.test(ex.header('upgrade') ?? '');
}

/** Answers an upgrade request with a complete HTTP response and closes the connection. */
function refuse(
  ex: UringExchange,
  status: number,
  headers: Record<string, string | readonly string[]> = {},
  body: Uint8Array | string = '',
): void {
  if (ex.gone || ex.headersSent) return;
  ex.status(status);
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'connection') continue;
    ex.setHeader(lower, value);
  }
  ex.setHeader('connection', 'close');
  ex.end(body);
}
