// The node engine's HTTPS: resolved TLS options turned into node:https server options with the
// same versions, suites, ALPN and SNI rules the rustls side applies, reloadable in place.

import type { Server as HttpsServer, ServerOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { classifyTlsClientError, emptyTlsCounters, type TlsCounters } from './tls-counters.js';
import {
  certificateForName,
  MODERN_CIPHERS,
  type ResolvedTlsCertificate,
  type ResolvedTlsOptions,
} from './tls-options.js';

/** What every secure context of a listener shares: versions and suites. */
function contextOptions(tls: ResolvedTlsOptions, certificate: ResolvedTlsCertificate): SecureContextOptions {
  return {
    cert: certificate.cert,
    key: certificate.key,
    minVersion: tls.minVersion,
    maxVersion: 'TLSv1.3',
    ciphers: MODERN_CIPHERS,
    honorCipherOrder: true,
  };
}

/**
 * node:tls reads a server's handshake deadline per connection from a field its constructor sets
 * under a private symbol, and offers no setter. A reload writes that field so new handshakes get
 * the new deadline; the symbol is found by its description (node 20 and 22 name it
 * `handshake-timeout`), and the reload tests on the node engine fail if that ever changes.
 */
function handshakeTimeoutKey(server: HttpsServer): symbol | undefined {
  return Object.getOwnPropertySymbols(server).find((key) => key.description === 'handshake-timeout');
}

/** One listener's TLS: its options (swapped by a reload) and its counters. */
export class NodeTls {
  private tls: ResolvedTlsOptions;
  private contexts = new Map<ResolvedTlsCertificate, SecureContext>();
  private readonly counters = emptyTlsCounters();
  private server: HttpsServer | undefined;

  constructor(tls: ResolvedTlsOptions) {
    this.tls = tls;
    this.contexts = this.sniContexts(tls);
  }

  private sniContexts(tls: ResolvedTlsOptions): Map<ResolvedTlsCertificate, SecureContext> {
    return new Map(
      tls.sni.map(([, certificate]) => [certificate, createSecureContext(contextOptions(tls, certificate))]),
    );
  }

  /**
   * The TLS half of `https.createServer`'s options: the default certificate, the SNI callback
   * (contexts made once per load), ALPN and the handshake deadline. SNI and ALPN are callbacks
   * that read the options in force, so a reload reaches them without touching the server.
   */
  serverOptions(): ServerOptions {
    return {
      ...contextOptions(this.tls, this.tls),
      // The server's preference wins, as rustls and OpenSSL's own ALPN selection do; no protocol
      // in common is a fatal no_application_protocol alert (undefined), as with ALPNProtocols.
      ALPNCallback: ({ protocols }) => this.tls.alpn.find((id) => protocols.includes(id)),
      handshakeTimeout: this.tls.handshakeTimeoutMs,
      // A falsy context means the default certificate: no SNI, or a name no entry covers.
      SNICallback: (serverName, callback) => {
        const certificate = certificateForName(this.tls.sni, serverName);
        callback(null, certificate === undefined ? undefined : this.contexts.get(certificate));
      },
    };
  }

  /** Counts handshakes and classified failures of `server`. */
  attach(server: HttpsServer): void {
    this.server = server;
    server.on('secureConnection', (socket: TLSSocket) => {
      this.counters.handshakes++;
      // node lets a TLS 1.2 client renegotiate (up to tls.CLIENT_RENEG_LIMIT); rustls refuses it.
      // One rule for both engines: refused, counted, and the connection ends.
      socket.disableRenegotiation();
      socket.on('error', (err: Error & { code?: string }) => {
        if (err.code === 'ERR_TLS_RENEGOTIATION_DISABLED') {
          this.counters.renegotiation++;
          socket.destroy();
        }
      });
    });
    server.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
      this.counters[classifyTlsClientError(err)]++;
      socket.destroy();
    });
  }

  /**
   * Swaps in new certificates, SNI entries, ALPN list, versions and handshake deadline for
   * handshakes from now on (throws, changing nothing, if node refuses them).
   */
  reload(tls: ResolvedTlsOptions): void {
    const contexts = this.sniContexts(tls);
    const timeoutKey = this.server === undefined ? undefined : handshakeTimeoutKey(this.server);
    if (
      this.server !== undefined &&
      timeoutKey === undefined &&
      tls.handshakeTimeoutMs !== this.tls.handshakeTimeoutMs
    ) {
      throw new Error(
        `this node version gives no way to change the handshake timeout of a running server; restart to apply handshakeTimeoutMs ${tls.handshakeTimeoutMs}`,
      );
    }
    this.server?.setSecureContext(contextOptions(tls, tls));
    if (this.server !== undefined && timeoutKey !== undefined) {
      (this.server as unknown as Record<symbol, number>)[timeoutKey] = tls.handshakeTimeoutMs;
    }
    this.tls = tls;
    this.contexts = contexts;
  }

  /** A copy of the counters. */
  snapshot(): TlsCounters {
    return { ...this.counters };
  }
}
