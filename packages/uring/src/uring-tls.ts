// The io_uring engine's TLS options as the native binding takes them (`UringTls` in
// crates/zephyr-uring-node/src/lib.rs): PEM bytes already read and checked by tls-options.ts.

import type { ResolvedTlsOptions } from './tls-options.js';

/** `UringTls` of the binding. */
export interface NativeTls {
  cert: Buffer;
  key: Buffer;
  sni: Array<{ name: string; certificate: { cert: Buffer; key: Buffer } }>;
  alpn: string[];
  tls13Only: boolean;
  handshakeTimeoutMs: number;
  kernelTls: boolean;
}

/** Resolved TLS options → the binding's shape. */
export function nativeTls(tls: ResolvedTlsOptions): NativeTls {
  return {
    cert: tls.cert,
    key: tls.key,
    sni: tls.sni.map(([name, certificate]) => ({
      name,
      certificate: { cert: certificate.cert, key: certificate.key },
    })),
    alpn: tls.alpn,
    tls13Only: tls.minVersion === 'TLSv1.3',
    handshakeTimeoutMs: tls.handshakeTimeoutMs,
    kernelTls: tls.kernelTls,
  };
}
