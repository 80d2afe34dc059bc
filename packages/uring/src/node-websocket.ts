// The WebSocket contract (websocket.ts) on the node engine, through the `ws` package: the
// handshake and framing are ws's; limits, backpressure policy, idle pings and topics are ours,
// so both engines behave alike.

import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { EngineRequest } from './engine.js';
import {
  CLOSE_BACKPRESSURE,
  CLOSE_IDLE,
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
 * Fragments one message may arrive in. ws keeps one Buffer per fragment until the message ends
 * and closes with 1008 past its default of 16384; Autobahn (9.3.1) sends a 4 MiB message in
 * 65536 fragments of 64 bytes, which is legal. 65536 allows it and still bounds the per-fragment
 * overhead (maxPayloadBytes bounds the bytes).
 */
const MAX_FRAGMENTS = 65_536;

/** The head of an upgrade request as an {@link EngineRequest}; it has no body. */
class NodeUpgradeRequest implements EngineRequest {
  readonly method: string;
  readonly url: string;
  readonly path: string;
  readonly query: string;
  readonly httpVersion: '1.0' | '1.1';

  constructor(
    private readonly req: IncomingMessage,
    private readonly socket: Duplex,
  ) {
    this.method = req.method ?? 'GET';
    this.url = req.url ?? '/';
    const q = this.url.indexOf('?');
    this.path = q === -1 ? this.url : this.url.slice(0, q);
    this.query = q === -1 ? '' : this.url.slice(q + 1);
    this.httpVersion = req.httpVersionMinor === 0 ? '1.0' : '1.1';
  }

  get remoteAddress(): string {
    return this.req.socket.remoteAddress ?? '';
  }

  header(name: string): string | undefined {
    const values = this.headers()
      .filter(([field]) => field === name.toLowerCase())
      .map(([, value]) => value);
    return values.length === 0 ? undefined : values.join(', ');
  }

  headers(): Array<[string, string]> {
    const raw = this.req.rawHeaders;
    const out: Array<[string, string]> = [];
    for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
    return out;
  }

  // Bytes after an upgrade request's head belong to the WebSocket, never to a body.
  async body(): Promise<Buffer> {
    return Buffer.alloc(0);
  }

  async *bodyStream(): AsyncIterable<Buffer> {}

  onAbort(listener: () => void): void {
    this.socket.once('close', listener);
  }
}

/** Writes a refusal as a complete HTTP/1.1 response and closes the socket. */
function writeRefusal(
  socket: Duplex,
  status: number,
  headers: Record<string, string | readonly string[]> = {},
  body: Uint8Array | string = '',
): void {
  if (socket.destroyed) return;
  const payload = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}`];
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'content-length' || name.toLowerCase() === 'connection') continue;
    for (const one of typeof value === 'string' ? [value] : value) {
      // Raw bytes go to the socket here: a CR or LF would split the response.
      if (!/[\r\n]/.test(name) && !/[\r\n]/.test(one)) lines.push(`${name}: ${one}`);
    }
  }
  lines.push(`content-length: ${payload.length}`, 'connection: close', '', '');
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), payload]));
}

/** One connection: the contract's view of a ws socket. */
class NodeWebSocket implements EngineWebSocket {
  readonly topics = new Set<string>();
  lastSeen = Date.now();
  pinged = false;
  needsDrain = false;

  constructor(
    readonly ws: WebSocket,
    private readonly socket: Duplex,
    private readonly hub: NodeWebSocketHub,
    readonly remoteAddress: string,
  ) {}

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  get protocol(): string {
    return this.ws.protocol;
  }

  send(data: string | Uint8Array, isBinary = typeof data !== 'string'): WebSocketSendStatus {
    if (this.ws.readyState !== this.ws.OPEN) return 'dropped';
    const limits = this.hub.limits;
    if (this.ws.bufferedAmount > limits.maxBackpressureBytes) {
      this.needsDrain = true;
      if (limits.backpressurePolicy === 'close') {
        // Its queue is full, so a close frame would wait behind it: drop the connection.
        this.ws.close(CLOSE_BACKPRESSURE, 'backpressure');
        this.ws.terminate();
      }
      return 'dropped';
    }
    this.ws.send(data, { binary: isBinary });
    if (this.ws.bufferedAmount === 0 && this.socket.writableLength === 0) return 'sent';
    this.needsDrain = true;
    return 'buffered';
  }

  close(code = 1000, reason = ''): void {
    checkClose(code, reason);
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  subscribe(topic: string): void {
    checkTopic(topic, 'subscribe');
    if (this.topics.has(topic)) return;
    this.topics.add(topic);
    this.hub.join(topic, this);
  }

  unsubscribe(topic: string): void {
    if (this.topics.delete(topic)) this.hub.leave(topic, this);
  }

  isSubscribed(topic: string): boolean {
    return this.topics.has(topic);
  }
}

/** The node engine's WebSocket side of one listener. */
export class NodeWebSocketHub implements WebSocketHub {
  readonly limits: WebSocketLimits;
  private readonly wss: WebSocketServer;
  private readonly open = new Set<NodeWebSocket>();
  private readonly byTopic = new Map<string, Set<NodeWebSocket>>();
  /** Upgrades being decided, counted against maxConnections with the open ones. */
  private pending = 0;
  private readonly accepted = new WeakMap<IncomingMessage, Extract<UpgradeAnswer, { accept: unknown }>>();
  private readonly idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly serving: WebSocketServing) {
    this.limits = resolveWebSocketLimits(serving.limits);
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: this.limits.maxPayloadBytes,
      maxFragments: MAX_FRAGMENTS,
      // Every message compressed once negotiated (threshold 0): ws sends small ones plain by
      // default, which Autobahn's 13.x cases (via kosoku) report as errors.
      perMessageDeflate: this.limits.perMessageDeflate ? { threshold: 0 } : false,
      handleProtocols: (_offered, req) => this.accepted.get(req)?.protocol ?? false,
    });
    this.wss.on('headers', (headers, req) => {
      const extra = this.accepted.get(req)?.headers;
      if (!extra) return;
      for (const [name, value] of Object.entries(extra)) {
        for (const one of typeof value === 'string' ? [value] : value) headers.push(`${name}: ${one}`);
      }
    });
    const idle = this.limits.idleTimeoutMs;
    if (idle > 0) {
      // One sweep for all connections, 4 per idle period: a connection is pinged at half its
      // idle time and closed within 25% after the whole of it.
      this.idleTimer = setInterval(() => this.sweepIdle(), Math.max(10, Math.floor(idle / 4)));
      this.idleTimer.unref();
    }
  }

  get connections(): number {
    return this.open.size;
  }

  /** Handles node:http's 'upgrade' event for a `websocket` upgrade. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (this.open.size + this.pending >= this.limits.maxConnections) {
      writeRefusal(socket, 503, { 'retry-after': '1' }, 'too many WebSocket connections');
      return;
    }
    this.pending += 1;
    let answer: Promise<UpgradeAnswer>;
    try {
      answer = Promise.resolve(this.serving.upgrade(new NodeUpgradeRequest(req, socket)));
    } catch (err) {
      answer = Promise.reject(err);
    }
    answer
      .then(
        (decided) => {
          if ('refuse' in decided) {
            writeRefusal(socket, decided.refuse, decided.headers, decided.body);
            return;
          }
          if (socket.destroyed) return;
          this.accepted.set(req, decided);
          this.wss.handleUpgrade(req, socket, head, (ws) => this.opened(ws, socket, req, decided.accept));
        },
        (err: unknown) => {
          console.error('zephyr: websocket upgrade handler failed:', err);
          writeRefusal(socket, 500);
        },
      )
      .finally(() => {
        this.pending -= 1;
      });
  }

  private opened(ws: WebSocket, socket: Duplex, req: IncomingMessage, handlers: WebSocketHandlers): void {
    const conn = new NodeWebSocket(ws, socket, this, req.socket.remoteAddress ?? '');
    this.open.add(conn);
    const guarded = (what: string, fn: () => void): void => {
      try {
        fn();
      } catch (err) {
        console.error(`zephyr: websocket ${what} handler failed:`, err);
        ws.close(1011, 'internal error');
      }
    };
    const seen = (): void => {
      conn.lastSeen = Date.now();
      conn.pinged = false;
    };
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      seen();
      if (handlers.message) guarded('message', () => handlers.message?.(conn, data, isBinary));
    });
    ws.on('pong', seen);
    ws.on('ping', seen);
    socket.on('drain', () => {
      if (conn.needsDrain && ws.bufferedAmount === 0) {
        conn.needsDrain = false;
        if (handlers.drain) guarded('drain', () => handlers.drain?.(conn));
      }
    });
    ws.on('error', () => {
      // ws closes the connection with the right code (1002, 1007, 1009) and emits 'close'.
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.open.delete(conn);
      for (const topic of conn.topics) this.leave(topic, conn);
      conn.topics.clear();
      if (handlers.close) guarded('close', () => handlers.close?.(conn, code, reason.toString()));
    });
    if (handlers.open) guarded('open', () => handlers.open?.(conn));
  }

  join(topic: string, conn: NodeWebSocket): void {
    let set = this.byTopic.get(topic);
    if (!set) {
      set = new Set();
      this.byTopic.set(topic, set);
    }
    set.add(conn);
  }

  leave(topic: string, conn: NodeWebSocket): void {
    const set = this.byTopic.get(topic);
    if (!set) return;
    set.delete(conn);
    if (set.size === 0) this.byTopic.delete(topic);
  }

  publish(topic: string, data: string | Uint8Array, isBinary = typeof data !== 'string'): number {
    checkTopic(topic, 'publish');
    const set = this.byTopic.get(topic);
    if (!set) return 0;
    // Encoded once; ws frames the same buffer for each subscriber.
    const payload = typeof data === 'string' ? Buffer.from(data) : data;
    let delivered = 0;
    for (const conn of [...set]) {
      if (conn.send(payload, isBinary) !== 'dropped') delivered += 1;
    }
    return delivered;
  }

  subscribers(topic: string): number {
    return this.byTopic.get(topic)?.size ?? 0;
  }

  private sweepIdle(): void {
    const now = Date.now();
    const idle = this.limits.idleTimeoutMs;
    for (const conn of this.open) {
      const quiet = now - conn.lastSeen;
      if (quiet >= idle) {
        conn.ws.close(CLOSE_IDLE, 'idle timeout');
        // A peer that stopped reading would hold the close handshake open forever.
        setTimeout(() => conn.ws.terminate(), 1000).unref();
      } else if (quiet >= idle / 2 && !conn.pinged) {
        conn.pinged = true;
        conn.ws.ping();
      }
    }
  }

  /** Closes every connection with 1001 (server shutdown) and stops the idle sweep. */
  close(): void {
    if (this.idleTimer) clearInterval(this.idleTimer);
    for (const conn of this.open) conn.ws.close(1001, 'server shutting down');
  }

  /** Drops every connection at once. */
  terminateAll(): void {
    for (const conn of this.open) conn.ws.terminate();
  }
}
