// `http3: true` is refused at startup on both engines, each with its own reason, rather than
// quietly serving TCP alone: the node engine has no QUIC to build on, and the io_uring engine's
// HTTP/3 (crates/zephyr-h3) is not wired into its ring yet.
import type { EngineName } from './engine.js';
import { Http3UnavailableError } from './errors.js';

/** Why each engine cannot serve HTTP/3 today. */
const WHY_NOT: Readonly<Record<EngineName, string>> = {
  node:
    'the node engine has no HTTP/3: node ships no QUIC in its stable releases (node:quic is ' +
    'experimental and absent from node 20 and 22), so there is nothing to serve it with',
  io_uring:
    'the io_uring engine does not serve HTTP/3 yet: its QUIC/HTTP/3 session (crates/zephyr-h3) ' +
    'is not wired into the ring',
};

/**
 * Throws {@link Http3UnavailableError} when `http3` is asked of `engine`, which cannot serve it;
 * does nothing when it is not asked. `listen` calls it before binding; a supervisor that forks
 * workers calls it first so that the error reaches its caller rather than a worker's stderr.
 *
 * @example
 * ```ts
 * import { checkHttp3, selectEngine } from '@zephyr/uring';
 * checkHttp3(true, selectEngine('node').engine); // throws ZEPHYR_ERR_HTTP3_UNAVAILABLE
 * ```
 */
export function checkHttp3(http3: boolean | undefined, engine: EngineName): void {
  if (http3 === true) {
    throw new Http3UnavailableError(
      `http3: ${WHY_NOT[engine]}; remove http3 (HTTP/1.1 and HTTP/2 are served over TCP)`,
    );
  }
}
