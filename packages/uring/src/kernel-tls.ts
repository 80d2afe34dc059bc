// Kernel TLS offload: what each engine does when `tls.kernelTls` asks for it. The io_uring engine
// hands each session's keys to the kernel after its handshake wherever the kernel attaches the
// `tls` ULP (crates/zephyr-uring/src/server_tls.rs); where it cannot, or on the node engine,
// TLS is encrypted in user space and one line says why.

import type { EngineName } from './engine.js';

let logged = false;

/**
 * Why a listener that asked for kernel TLS encrypts in user space, as one sentence; `undefined`
 * when it does not (io_uring on a kernel with the `tls` ULP). `kernelUnavailable` is the
 * probe's reason, or `null` when the kernel offers the ULP.
 */
export function kernelTlsFallbackReason(
  engine: EngineName,
  kernelUnavailable: string | null,
): string | undefined {
  if (engine === 'node')
    return 'kernel TLS: the node engine (node:tls) does not offload to the kernel; OpenSSL encrypts in user space';
  return kernelUnavailable === null ? undefined : `kernel TLS unavailable: ${kernelUnavailable}`;
}

/** Logs the fallback line once per process (every listener would say the same). */
export function reportKernelTlsFallback(reason: string | undefined): void {
  if (reason === undefined || logged) return;
  logged = true;
  console.warn(`zephyr: ${reason}`);
}
