import { createRequire } from 'node:module';
import type { EngineLimits } from './engine.js';
import type { Http2Settings } from './http2-options.js';
import type { Http3RetryPolicy } from './http3-option.js';
import type { TlsCounters } from './tls-counters.js';
import { LAYOUT_VERSION } from './uring-protocol.js';
import type { NativeTls } from './uring-tls.js';

/** Options the native io_uring listener takes: every engine limit, filled in by the adapter. */
export interface NativeUringOptions extends EngineLimits {
  host: string;
  port: number;
  reusePort: boolean;
  backlog: number;
  tcpFastOpen: boolean;
  sqpollIdleMs?: number;
  maxPipelined?: number;
  maxUnsentBytes?: number;
  sendZcMinBytes?: number;
  tls?: NativeTls;
  /** The WebSocket idle timeout, so the engine checks deadlines often enough for it. */
  wsIdleTimeoutMs?: number;
  /** Serve HTTP/2 (h2c prior knowledge, and `h2` by ALPN) with these settings. */
  http2?: Http2Settings;
  /** Serve HTTP/3 on UDP at the same address and port (needs `tls`). */
  http3?: NativeHttp3;
}

/** The HTTP/3 settings the native listener takes (`UringHttp3`; the Alt-Svc age stays in JS). */
export interface NativeHttp3 {
  maxConcurrentStreams: number;
  idleTimeoutMs: number;
  maxUdpPayloadSize: number;
  retry: Http3RetryPolicy;
  handshakesBeforeRetry: number;
}

/** HTTP/3 counters of a listener (`UringHttp3Counters`). */
export interface Http3Counters {
  connectionsAccepted: number;
  connectionsRefused: number;
  retriesSent: number;
  requests: number;
  streamErrors: number;
  connectionErrors: number;
  headersTooLarge: number;
  datagramsReceived: number;
  datagramsSent: number;
  /** `sendmsg` operations: fewer than datagrams where UDP GSO batches them. */
  sendCalls: number;
  /** Datagrams one `sendmsg` may carry (1 where the kernel has no UDP GSO). */
  gsoSegments: number;
}

/** One native io_uring listener (`UringServer` in `crates/zephyr-uring-node/src/lib.rs`). */
export interface NativeUringServer {
  readonly port: number;
  readonly connections: number;
  /** Applies `len` bytes of packed commands (plus large payloads beside them) and submits. */
  flush(len: number, externals?: Buffer[]): void;
  peerAddress(index: number, gen: number): string | null;
  shutdown(): void;
  /** Stops accepting; open connections keep being served. */
  stopAccepting(): void;
  /** Whether the listening socket is still open. */
  readonly listening: boolean;
  destroyAll(): void;
  isDrained(): boolean;
  dispose(): void;
  /** Swaps in new TLS settings for new handshakes (throws if rustls refuses them). */
  reloadTls(tls: NativeTls): void;
  /** The listener's TLS counters; null for plaintext. */
  tlsCounters(): TlsCounters | null;
  /** The listener's HTTP/3 counters; null when it does not serve HTTP/3. */
  http3Counters(): Http3Counters | null;
}

/** What the native binding exposes; kept in step with `crates/zephyr-uring-node/src/lib.rs`. */
export interface NativeBinding {
  ioUringSupported(): { supported: boolean; reason?: string | null; features: number };
  /** Resolves to a new descriptor, or to a negative errno. */
  openBeneath(rootFd: number, path: string): Promise<number>;
  /** Why the kernel offers no TLS offload; null when it does. */
  kernelTlsUnavailable(): string | null;
  /** The record layout the binary was built with (`LAYOUT_VERSION` in the core crate). */
  layoutVersion(): number;
  UringServer: new (
    options: NativeUringOptions,
    events: Buffer,
    commands: Buffer,
    /** `stores`: the Buffers of the batch's placed WebSocket messages, if any. */
    onBatch: (len: number, stores: Buffer[] | undefined) => void,
  ) => NativeUringServer;
}

let binding: NativeBinding | undefined;
let loadError: Error | undefined;

/**
 * Loads the `.node` binary once. A platform without a prebuilt binary is not an error here: the
 * caller gets `undefined` and the reason, and falls back to the node engine.
 */
export function loadNative(): { binding: NativeBinding } | { binding: undefined; error: Error } {
  if (binding) return { binding };
  if (!loadError) {
    try {
      const loaded = createRequire(import.meta.url)('../native.cjs') as NativeBinding;
      // A binary built from another record layout would misread every buffer: treat it as
      // missing, so that `auto` falls back and a forced io_uring says why.
      const layout = typeof loaded.layoutVersion === 'function' ? loaded.layoutVersion() : 0;
      if (layout !== LAYOUT_VERSION) {
        throw new Error(
          `the native binary speaks record layout ${layout}, this package ${LAYOUT_VERSION} (a stale build)`,
        );
      }
      binding = loaded;
      return { binding };
    } catch (err) {
      loadError = err instanceof Error ? err : new Error(String(err));
    }
  }
  return { binding: undefined, error: loadError };
}
