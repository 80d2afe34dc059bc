// HTTP/2 on the node engine: node:http2 sessions behind the same listener as HTTP/1.1. On TLS the
// ALPN result picks the protocol; on plaintext the first bytes do (the HTTP/2 connection preface,
// RFC 9113 §3.4, means h2c with prior knowledge; anything else goes to the HTTP/1.1 server with
// every byte put back). Streams are served through the engine contract (node-h2-exchange.ts),
// with the guards node:http2 lacks: a rapid-reset bound, per-stream body and write deadlines,
// and an idle GOAWAY.

import type { Server as HttpServer } from 'node:http';
import {
  constants,
  createServer as createHttp2Server,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { EngineLimits, RequestHandler } from './engine.js';
import { engineProblem, PROBLEM_CONTENT_TYPE } from './engine-problem.js';
import { RequestError } from './errors.js';
import type { Http2Settings } from './http2-options.js';
import { NodeH2Exchange, remoteOpen } from './node-h2-exchange.js';

/** The client connection preface (RFC 9113 §3.4): h2c with prior knowledge begins with it. */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/**
 * Streams a client may reset (RST_STREAM before the response ended) within
 * {@link RAPID_RESET_WINDOW_MS} before its connection gets GOAWAY ENHANCE_YOUR_CALM and is closed:
 * the rapid-reset attack (CVE-2023-44487) makes the server start work for streams it cancels at
 * once. Twice the default stream limit; no browser cancels that many in a second.
 */
export const RAPID_RESET_BURST = 200;
/** See {@link RAPID_RESET_BURST}. */
export const RAPID_RESET_WINDOW_MS = 1000;
/** Invalid frames node:http2 tolerates on a session before it closes it (node's default is 1000). */
const MAX_INVALID_FRAMES = 100;
/** Streams refused (past max concurrent streams) before the session is closed with ENHANCE_YOUR_CALM. */
const MAX_REJECTED_STREAMS = 100;
/** Pseudo-header fields a request carries at most (`:method`, `:scheme`, `:authority`, `:path`, `:protocol`). */
const PSEUDO_FIELDS = 5;

/** How often each HTTP/2 guard has fired on a listener, for tests and operators. */
export interface Http2GuardCounts {
  /** Connections closed with GOAWAY ENHANCE_YOUR_CALM for resetting streams too fast. */
  rapidReset: number;
  /** Idle connections sent GOAWAY. */
  idleGoaway: number;
  /** Connections still holding streams an idle period after their GOAWAY, then closed. */
  idleClosed: number;
  /** Streams reset because their output made no progress for `writeTimeoutMs` (a zero window). */
  writeStall: number;
  /** Streams whose request body did not arrive within `requestTimeoutMs`. */
  bodyTimeout: number;
  /** Plaintext connections that sent no first bytes within `headerTimeoutMs`. */
  silentConnection: number;
  /** Requests refused by a limit (414, 431, 413) before the handler ran. */
  refused: number;
}

interface SessionState {
  resets: number;
  windowStart: number;
  idle: boolean;
}

/** Answers a stream with the engine's own problem document for `status`. */
function refuseStream(exchange: NodeH2Exchange, status: number): void {
  if (exchange.headersSent) {
    exchange.reset(constants.NGHTTP2_INTERNAL_ERROR);
    return;
  }
  exchange.status(status).setHeader('content-type', PROBLEM_CONTENT_TYPE).end(engineProblem(status));
}

/**
 * node:http2 behind an HTTP/1.1 server of the node engine. Created with the http(s) server before
 * it listens: it takes over the server's own connection listener and hands each connection to
 * HTTP/2 or back to that listener.
 */
export class NodeHttp2Front {
  readonly counts: Http2GuardCounts = {
    rapidReset: 0,
    idleGoaway: 0,
    idleClosed: 0,
    writeStall: 0,
    bodyTimeout: 0,
    silentConnection: 0,
    refused: 0,
  };
  private readonly h2: Http2Server;
  private readonly sessions = new Map<ServerHttp2Session, SessionState>();
  private closing = false;

  constructor(
    server: HttpServer,
    private readonly settings: Http2Settings,
    private readonly limits: EngineLimits,
    private readonly handler: RequestHandler,
    tls: boolean,
  ) {
    this.h2 = createHttp2Server({
      settings: {
        maxConcurrentStreams: settings.maxConcurrentStreams,
        initialWindowSize: settings.initialWindowSize,
        maxFrameSize: settings.maxFrameSize,
        maxHeaderListSize: settings.maxHeaderListSize,
        enablePush: false,
      },
      // One spare pair past the limit lets the stream reach admission and get its 431.
      maxHeaderListPairs: limits.maxHeaderCount + PSEUDO_FIELDS + 1,
      maxSessionInvalidFrames: MAX_INVALID_FRAMES,
      maxSessionRejectedStreams: MAX_REJECTED_STREAMS,
    });
    this.h2.on('session', (session: ServerHttp2Session) => this.onSession(session));
    this.h2.on(
      'stream',
      (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) =>
        this.onStream(stream, headers, rawHeaders),
    );
    // https.Server hands a TLS socket to HTTP/1.1 on 'secureConnection', http.Server a TCP socket
    // on 'connection': the listener node installed there is kept for every non-HTTP/2 connection.
    const event = tls ? 'secureConnection' : 'connection';
    const [http1] = server.listeners(event) as Array<(socket: Socket) => void>;
    if (http1 === undefined) throw new Error(`node:http server has no ${event} listener to front`);
    server.removeListener(event, http1);
    const toHttp1 = (socket: Socket): void => http1.call(server, socket);
    server.on(
      event,
      tls
        ? (socket: TLSSocket) => (socket.alpnProtocol === 'h2' ? this.toHttp2(socket) : toHttp1(socket))
        : (socket: Socket) => this.sniff(socket, toHttp1),
    );
  }

  /**
   * node:http's listener accepts half-open connections (HTTP/1.1 lets a client half-close after
   * its request); an HTTP/2 connection whose peer sent FIN is over, so it closes with it.
   */
  private toHttp2(socket: Socket): void {
    socket.allowHalfOpen = false;
    this.h2.emit('connection', socket);
  }

  /**
   * Reads a plaintext connection's first bytes: the preface → HTTP/2, anything else (as soon as
   * it differs from the preface) → HTTP/1.1. The bytes read are put back for whoever takes it.
   */
  private sniff(socket: Socket, toHttp1: (socket: Socket) => void): void {
    let seen: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => {
      this.counts.silentConnection++;
      socket.destroy();
    }, this.limits.headerTimeoutMs);
    timer.unref();
    const onError = (): void => {
      socket.destroy();
    };
    const onEnd = (): void => {
      clearTimeout(timer);
      socket.destroy();
    };
    const onReadable = (): void => {
      for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null)
        seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, H2_PREFACE.length);
      const prefix = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (prefix && seen.length < H2_PREFACE.length) return;
      clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('error', onError);
      socket.off('end', onEnd);
      socket.unshift(seen);
      if (prefix) this.toHttp2(socket);
      else toHttp1(socket);
    };
    socket.on('error', onError);
    socket.on('end', onEnd);
    socket.on('readable', onReadable);
  }

  private onSession(session: ServerHttp2Session): void {
    const state: SessionState = { resets: 0, windowStart: 0, idle: false };
    this.sessions.set(session, state);
    // A session error (the peer broke the protocol) has sent its GOAWAY: the connection is done.
    session.on('error', () => session.destroy());
    session.once('close', () => this.sessions.delete(session));
    if (this.closing) session.close();
    session.setTimeout(this.settings.idleTimeoutMs, () => {
      if (state.idle || session.destroyed) return;
      state.idle = true;
      this.counts.idleGoaway++;
      // GOAWAY; open streams may finish, but a peer that keeps them stalled (a zero window)
      // loses the connection one more idle period later.
      session.close();
      setTimeout(() => {
        if (!session.destroyed) {
          this.counts.idleClosed++;
          session.destroy();
        }
      }, this.settings.idleTimeoutMs).unref();
    });
  }

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: string[]): void {
    const session = stream.session as ServerHttp2Session;
    const state = this.sessions.get(session);
    stream.on('error', () => {});
    const { limits } = this;
    const exchange = new NodeH2Exchange(stream, headers, rawHeaders, limits.maxBodyBytes, this.watchOutput);
    if (state !== undefined) {
      stream.once('close', () => {
        if (stream.rstCode !== constants.NGHTTP2_NO_ERROR && !exchange.resetByServer && !exchange.finished)
          this.peerReset(session, state);
      });
    }
    this.watchStream(stream, exchange);
    const status = this.admission(headers, rawHeaders);
    if (status !== 0) {
      this.counts.refused++;
      refuseStream(exchange, status);
      return;
    }
    try {
      const result = this.handler(exchange, exchange);
      if (result !== undefined && typeof result.then === 'function') {
        result.then(undefined, (err: unknown) => this.failed(exchange, err));
      }
    } catch (err) {
      this.failed(exchange, err);
    }
  }

  /** The status a request's head is refused with before the handler runs; 0 to serve it. */
  private admission(headers: IncomingHttpHeaders, rawHeaders: string[]): number {
    const { limits } = this;
    // CONNECT asks for a tunnel, which the contract has no API for (as on HTTP/1.1).
    if (headers[':method'] === 'CONNECT') return 400;
    const path = headers[':path'];
    if (typeof path !== 'string') return 400;
    if (path.length > limits.maxUrlLength) return 414;
    // node:http2 enforces only its own 64 KB header bound; the list size counts as RFC 9113
    // §6.5.2 says: name and value octets plus 32 per field, pseudo-fields included.
    let fields = 0;
    let size = 0;
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!;
      size += name.length + rawHeaders[i + 1]!.length + 32;
      if (name.charCodeAt(0) !== 0x3a) fields++;
    }
    if (fields > limits.maxHeaderCount || size > this.settings.maxHeaderListSize) return 431;
    const length = headers['content-length'];
    if (length !== undefined && Number(length) > limits.maxBodyBytes) return 413;
    return 0;
  }

  /** Deadlines of one stream: its request body's arrival, and its output's progress. */
  private watchStream(stream: ServerHttp2Stream, exchange: NodeH2Exchange): void {
    const { limits } = this;
    let bodyTimer: NodeJS.Timeout | undefined;
    if (!stream.endAfterHeaders) {
      bodyTimer = setTimeout(() => {
        if (!remoteOpen(stream)) return;
        this.counts.bodyTimeout++;
        if (exchange.headersSent) exchange.reset(constants.NGHTTP2_CANCEL);
        else {
          refuseStream(exchange, 408);
          exchange.reset(constants.NGHTTP2_CANCEL);
        }
      }, limits.requestTimeoutMs);
      bodyTimer.unref();
    }
    if (bodyTimer !== undefined) stream.once('close', () => clearTimeout(bodyTimer));
  }

  /**
   * A stream whose output waits on the peer (a write past the buffer, an end with bytes unsent,
   * a file) is reset after writeTimeoutMs without progress, so a peer that keeps its window shut
   * cannot pin buffers or a file forever. Armed only then: most responses never wait.
   */
  private readonly watchOutput = (exchange: NodeH2Exchange): void => {
    const stream = exchange.stream;
    if (exchange.outputWatched) return;
    exchange.outputWatched = true;
    stream.setTimeout(this.limits.writeTimeoutMs, () => {
      // Nothing waiting means the app is quiet (a long poll), not that the peer stalls.
      if (stream.destroyed || (stream.writableLength === 0 && !exchange.fileInFlight)) return;
      this.counts.writeStall++;
      exchange.reset(constants.NGHTTP2_CANCEL);
    });
  };

  private peerReset(session: ServerHttp2Session, state: SessionState): void {
    if (session.destroyed) return;
    const now = Date.now();
    if (now - state.windowStart > RAPID_RESET_WINDOW_MS) {
      state.windowStart = now;
      state.resets = 0;
    }
    if (++state.resets > RAPID_RESET_BURST) {
      this.counts.rapidReset++;
      // With an error given, node sends the code as is (without one it sends NO_ERROR).
      session.destroy(
        new Error('rapid reset: too many streams cancelled'),
        constants.NGHTTP2_ENHANCE_YOUR_CALM,
      );
    }
  }

  /** The handler threw or rejected: its status (500 unless a RequestError), or a reset once the head is out. */
  private failed(exchange: NodeH2Exchange, err: unknown): void {
    if (err instanceof RequestError) {
      refuseStream(exchange, err.status);
      return;
    }
    console.error('zephyr: request handler failed:', err);
    refuseStream(exchange, 500);
  }

  /** Graceful shutdown: GOAWAY on every session; open streams finish, new ones are refused. */
  close(): void {
    this.closing = true;
    for (const session of this.sessions.keys()) session.close();
  }

  /** Ends every session at once (the shutdown deadline passed). */
  destroyAll(): void {
    for (const session of this.sessions.keys()) session.destroy();
  }
}
