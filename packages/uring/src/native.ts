import { createRequire } from 'node:module';

/** What the native binding exposes; kept in step with `crates/zephyr-uring-node/src/lib.rs`. */
export interface NativeBinding {
  ioUringSupported(): { supported: boolean; reason?: string | null; features: number };
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
      binding = createRequire(import.meta.url)('../native.cjs') as NativeBinding;
      return { binding };
    } catch (err) {
      loadError = err instanceof Error ? err : new Error(String(err));
    }
  }
  return { binding: undefined, error: loadError };
}
