// Kernel TLS offload: what each engine does when `tls.kernelTls` asks for it. Neither hands its
// keys to the kernel yet, so asking always ends in user-space encryption; the one line logged
// says why, naming the kernel's own reason where it has one (the probe really attaches the `tls`
// ULP to a loopback socket: crates/zephyr-uring/src/tls/ktls.rs).

import type { EngineName } from './engine.js';

let logged = false;

/**
 * Why a listener that asked for kernel TLS encrypts in user space, as one sentence.
 * `kernelUnavailable` is the probe's reason, or `null` when the kernel offers the `tls` ULP.
 */
export function kernelTlsFallbackReason(engine: EngineName, kernelUnavailable: string | null): string {
  if (engine === 'node')
    return 'kernel TLS: the node engine (node:tls) does not offload to the kernel; OpenSSL encrypts in user space';
  if (kernelUnavailable !== null) return `kernel TLS unavailable: ${kernelUnavailable}`;
  return 'kernel TLS: the kernel offers the tls ULP, but the io_uring engine does not hand it the session keys yet; rustls encrypts in user space';
}

/** Logs the fallback line once per process (every listener would say the same). */
export function reportKernelTlsFallback(reason: string): void {
  if (logged) return;
  logged = true;
  console.warn(`zephyr: ${reason}`);
}
