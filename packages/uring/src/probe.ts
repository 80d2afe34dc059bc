import { loadNative } from './native.js';

/** Whether this process can use io_uring, and if not, why. */
export interface IoUringSupport {
  supported: boolean;
  /** A sentence naming the failed call and its likely cause; absent when supported. */
  reason?: string;
  /** `IORING_FEAT_*` bits reported by the kernel (0 when unsupported). */
  features: number;
}

/**
 * Probes the kernel by really calling `io_uring_setup` (and tearing the ring down again).
 *
 * @example
 * ```ts
 * import { ioUringSupported } from '@zephyr/uring';
 * const probe = ioUringSupported();
 * if (!probe.supported) console.warn(probe.reason);
 * ```
 */
export function ioUringSupported(): IoUringSupport {
  const native = loadNative();
  if (!native.binding) {
    return {
      supported: false,
      reason: `the native binding could not be loaded on ${process.platform}-${process.arch}: ${native.error.message}`,
      features: 0,
    };
  }
  const result = native.binding.ioUringSupported();
  return result.supported
    ? { supported: true, features: result.features }
    : { supported: false, reason: result.reason ?? 'io_uring_setup failed', features: 0 };
}
