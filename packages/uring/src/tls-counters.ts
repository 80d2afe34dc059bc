// TLS counters, the same on both engines: completed handshakes and failures by kind, so an
// operator can tell a port scanner (plaintext, garbage) from a broken client (alerts, no common
// suite). The io_uring engine counts in rustls's transport (crates/zephyr-uring/src/tls/
// counters.rs, the same kinds); the node engine classifies node:tls's `tlsClientError`s here.

/** Handshakes completed and failed connections by kind, since the listener started. */
export interface TlsCounters {
  /** Handshakes that completed. */
  handshakes: number;
  /** The first bytes were an HTTP request: plain HTTP sent to the TLS port. */
  plaintextHttp: number;
  /** The first bytes were neither TLS nor HTTP. */
  notTls: number;
  /** The peer closed before the handshake finished. */
  truncatedHandshake: number;
  /** The handshake did not finish within `handshakeTimeoutMs`. */
  handshakeTimeout: number;
  /** A record that does not parse, decrypt or fit the protocol. */
  garbageRecord: number;
  /** No common version, suite, group or ALPN protocol. */
  handshakeFailed: number;
  /** The peer sent a fatal alert. */
  alertReceived: number;
  /** The peer asked to renegotiate (TLS 1.2), which is refused. */
  renegotiation: number;
}

/** A failure kind: every counter but `handshakes`. */
export type TlsFailureKind = Exclude<keyof TlsCounters, 'handshakes'>;

/** All counters at zero. */
export function emptyTlsCounters(): TlsCounters {
  return {
    handshakes: 0,
    plaintextHttp: 0,
    notTls: 0,
    truncatedHandshake: 0,
    handshakeTimeout: 0,
    garbageRecord: 0,
    handshakeFailed: 0,
    alertReceived: 0,
    renegotiation: 0,
  };
}

/**
 * The kind of a node:tls server-side handshake error (`tlsClientError`), by its OpenSSL or node
 * code; anything unrecognised is a garbage record.
 */
export function classifyTlsClientError(err: Error & { code?: string }): TlsFailureKind {
  const code = err.code ?? '';
  if (code === 'ERR_SSL_HTTP_REQUEST') return 'plaintextHttp';
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_UNKNOWN_PROTOCOL') return 'notTls';
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'handshakeTimeout';
  if (code === 'ECONNRESET' || code === 'EPIPE' || /disconnected before secure/i.test(err.message))
    return 'truncatedHandshake';
  if (/ALERT/.test(code)) return 'alertReceived';
  if (/RENEGOTIATION|ERR_TLS_SESSION_ATTACK/.test(code)) return 'renegotiation';
  if (
    /NO_SHARED_CIPHER|UNSUPPORTED_PROTOCOL|NO_APPLICATION_PROTOCOL|NO_SUITABLE|VERSION_TOO_LOW|NO_PROTOCOLS_AVAILABLE|NO_SHARED_GROUP/.test(
      code,
    )
  )
    return 'handshakeFailed';
  return 'garbageRecord';
}
