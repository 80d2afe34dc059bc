// The contract between an engine (io_uring or node:http) and whoever serves requests with it,
// `@zephyr/server` or a user of `@zephyr/uring` alone. Both engines implement exactly this; the
// conformance suite in test/ runs against each.

import type { Http2Options } from './http2-options.js';
import type { Http3Options } from './http3-option.js';
import type { Http3Counters } from './native.js';
import type { TlsCounters } from './tls-counters.js';
import type { TlsOptions } from './tls-options.js';

/** Which engine serves a listener. */
export type EngineName = 'io_uring' | 'node';

/** Server limits. Every one has a default; a request beyond one gets its status and a close. */
export interface EngineLimits {
  /** Bytes of request line plus headers (default 16384, like node:http). Beyond: 431. */
  maxHeaderBytes: number;
  /** Number of header fields (default 100). Beyond: 431. */
  maxHeaderCount: number;
  /** Bytes of the request target (default 8192). Beyond: 414. */
  maxUrlLength: number;
  /** Bytes of a request body, declared or streamed (default 1 MiB). Beyond: 413. */
  maxBodyBytes: number;
  /** Time to receive a complete request head, against slowloris (default 10 s). Beyond: 408. */
  headerTimeoutMs: number;
  /** Idle time allowed on a keep-alive connection between requests (default 5 s). Then: close. */
  keepAliveTimeoutMs: number;
  /** Time for a whole request, head and body, to arrive (default 300 s). Beyond: 408. */
  requestTimeoutMs: number;
  /** Open connections at once (default 10000). Beyond: the new connection is closed at accept. */
  maxConnections: number;
  /**
   * Time response output may wait without the client taking a byte (default 30 s), e.g. a client
   * that pipelines requests and never reads. Beyond: the connection is dropped.
   */
  writeTimeoutMs: number;
}

/** Options of {@link listen}. */
export interface ListenOptions {
  /** TCP port; 0 picks a free one (read it back from `server.port`). */
  port: number;
  /** Address to bind (default `127.0.0.1`; `0.0.0.0` or `::` for all interfaces). */
  host?: string;
  /** Force an engine; default `auto` (io_uring when the probe succeeds), or `ZEPHYR_IO_ENGINE`. */
  engine?: EngineName | 'auto';
  /** Set SO_REUSEPORT so several workers can each own a listener on one port (default false). */
  reusePort?: boolean;
  /** listen(2) backlog (default 1024). */
  backlog?: number;
  /** TCP_FASTOPEN on the listener (default false). */
  tcpFastOpen?: boolean;
  /** Any subset of the limits; the rest keep their defaults. */
  limits?: Partial<EngineLimits>;
  /** Serve HTTPS with these certificates (see {@link TlsOptions}); plain HTTP when absent. */
  tls?: TlsOptions;
  /**
   * Serve HTTP/2 beside HTTP/1.1 (see {@link Http2Options}): over TLS by ALPN (`h2` is offered
   * first), on a plaintext listener by prior knowledge (h2c: a connection opening with the
   * HTTP/2 preface). Off by default.
   */
  http2?: Http2Options;
  /**
   * Serve HTTP/3 over QUIC beside HTTPS (see {@link Http3Options}): on a UDP socket bound to the
   * TLS listener's address and port, with its certificates; HTTPS responses then carry
   * `alt-svc: h3=":PORT"` so browsers switch by themselves. io_uring engine only (the node engine
   * refuses it with `ZEPHYR_ERR_HTTP3_UNAVAILABLE`); needs `tls`; not with `reusePort`.
   */
  http3?: Http3Options;
}

/** One HTTP request as the engine parsed it. Valid until the response ends. */
export interface EngineRequest {
  /** Upper-case method, e.g. `GET`. */
  readonly method: string;
  /** The raw request target, path and query, e.g. `/users/1?x=2`. */
  readonly url: string;
  /** The part of `url` before `?`, still percent-encoded. */
  readonly path: string;
  /** The part of `url` after `?`, without it; `''` when there is none. */
  readonly query: string;
  /** `'1.1'`, `'1.0'`, `'2.0'` for a request on an HTTP/2 stream, `'3'` on an HTTP/3 stream. */
  readonly httpVersion: '1.0' | '1.1' | '2.0' | '3';
  /** Peer address, e.g. `127.0.0.1`. */
  readonly remoteAddress: string;
  /** A header's value by case-insensitive name; repeated fields are joined with `, `. */
  header(name: string): string | undefined;
  /** All header fields as `[name, value]` pairs, names lower-cased, in arrival order. */
  headers(): Array<[string, string]>;
  /** The whole body, at most `maxBodyBytes` (else rejects with a 413-carrying error). */
  body(): Promise<Buffer>;
  /** The body as it arrives; reading slowly applies backpressure to the client. */
  bodyStream(): AsyncIterable<Buffer>;
  /** Called once if the client goes away before the response ends. */
  onAbort(listener: () => void): void;
}

/** The response to one request. Pipelined responses are sent in request order by the engine. */
export interface EngineResponse {
  /** Sets the status (default 200). Only before headers are sent. */
  status(code: number): this;
  /** Sets a header, replacing any of the same name; an array sends the field once per value. */
  setHeader(name: string, value: string | readonly string[]): this;
  /** Whether the head has gone to the socket (after the first `write`, `end` or `sendFile`). */
  readonly headersSent: boolean;
  /** Whether `end` or `sendFile` has completed the response. */
  readonly finished: boolean;
  /** Sends a body chunk (chunked encoding unless content-length was set). `false`: wait for drain. */
  write(chunk: string | Uint8Array): boolean;
  /** Called once when the buffered output drains after `write` returned `false`. */
  onDrain(listener: () => void): void;
  /**
   * Adds a trailer field, sent after the body (gRPC's `grpc-status` is one): on HTTP/2 a
   * trailing HEADERS frame, on HTTP/1.1 the chunked body's trailer section (the response is then
   * sent chunked). Allowed until `end`, on both engines; throws `ZEPHYR_ERR_HEADERS_SENT` where
   * the response cannot carry trailers (HTTP/1.0, a declared content-length, HEAD).
   */
  setTrailer(name: string, value: string): this;
  /** Ends the response, optionally with a last chunk. */
  end(chunk?: string | Uint8Array): void;
  /**
   * Sends a file's bytes zero-copy where the engine can (splice/sendfile), as the whole body.
   * Sets content-length from `length` (default: the rest of the file from `offset`).
   */
  sendFile(file: string | number, range?: { offset?: number; length?: number }): Promise<void>;
  /** Drops the connection without a response (e.g. after a protocol error in the app). */
  destroy(): void;
}

/** Handles one request. A throw or rejection before the response ends gives a 500. */
export type RequestHandler = (req: EngineRequest, res: EngineResponse) => void | Promise<void>;

/** A listening server. */
export interface EngineServer {
  readonly engine: EngineName;
  readonly host: string;
  readonly port: number;
  /** Why this engine was chosen, e.g. the probe's failure reason when falling back. */
  readonly engineReason: string;
  /** Connections open now: HTTP/1.1 (idle keep-alive ones included), HTTP/2 and WebSocket. */
  readonly connections: number;
  /**
   * Stops accepting new connections while the open ones keep being served, idle keep-alive
   * connections included (nothing is closed under a client about to reuse one). Resolves once
   * the listening socket is closed: from then on new connections go to whoever else listens on
   * the port (another `reusePort` listener, or another node:cluster worker), or are refused.
   * Idempotent; {@link EngineServer.close} still drains and closes what is open. `zephyr dev`
   * hands its port over to a new generation of the app this way.
   */
  stopAccepting(): Promise<void>;
  /**
   * Stops accepting, lets in-flight requests finish (closing idle keep-alive connections at
   * once), and resolves when all connections are gone or `timeoutMs` (default 10 s) has passed,
   * after which the remaining connections are destroyed. A `timeoutMs` that is not a
   * non-negative number throws `ZEPHYR_ERR_INVALID_ARGUMENT` synchronously, on both engines.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
  /**
   * HTTPS listeners: swaps in new certificates (and SNI, ALPN, versions) for handshakes from now
   * on, without touching open connections. `tls` replaces the options; without it the
   * listener's own options are read again from their files (what SIGHUP does). A bad
   * certificate rejects with `ZEPHYR_ERR_INVALID_ARGUMENT` and the old one stays in force; a
   * plaintext listener rejects with `ZEPHYR_ERR_UNSUPPORTED_OPTION`.
   */
  reloadTls(tls?: TlsOptions): Promise<void>;
  /** HTTPS listeners: handshakes completed and failures by kind; `undefined` for plaintext. */
  tlsCounters(): TlsCounters | undefined;
  /**
   * The listener's HTTP/3 counters (connections accepted and refused, Retry packets, requests,
   * stream and connection errors, heads too large); `undefined` when it serves no HTTP/3.
   */
  http3Counters?(): Http3Counters | undefined;
}
