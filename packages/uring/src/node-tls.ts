// The node engine's HTTPS: resolved TLS options turned into node:https server options with the
// same versions, suites, ALPN and SNI rules the rustls side applies.

import type { ServerOptions } from 'node:https';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
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
 * The TLS half of `https.createServer`'s options: the default certificate, one secure context per
 * SNI entry (made once, here), ALPN and the handshake deadline.
 */
export function nodeTlsServerOptions(tls: ResolvedTlsOptions): ServerOptions {
  const contexts = new Map<ResolvedTlsCertificate, SecureContext>(
    tls.sni.map(([, certificate]) => [certificate, createSecureContext(contextOptions(tls, certificate))]),
  );
  return {
    ...contextOptions(tls, tls),
    ALPNProtocols: tls.alpn,
    handshakeTimeout: tls.handshakeTimeoutMs,
    // A falsy context means the default certificate: no SNI, or a name no entry covers.
    SNICallback: (serverName, callback) => {
      const certificate = certificateForName(tls.sni, serverName);
      callback(null, certificate === undefined ? undefined : contexts.get(certificate));
    },
  };
}
