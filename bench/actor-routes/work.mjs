// The heavy route's work, the same function in every server: SHA-256 chained `rounds` times, about
// 5 ms of CPU with the `rounds` the runner calibrates (passed to every server as ROUNDS).
import { createHash } from 'node:crypto';

/** Hashes `text` `rounds` times; returns the hex digest. */
export function work(text, rounds) {
  let digest = text;
  for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).digest('hex');
  return digest;
}

/** Rounds the heavy route does per request (set by the runner; 1 when a server is started by hand). */
export const ROUNDS = Number(process.env.ROUNDS ?? 1);
/** Threads of the pool (Zephyr's `actor_threads`, Piscina's `maxThreads`). */
export const THREADS = Number(process.env.THREADS ?? 1);
export const PORT = Number(process.env.PORT ?? 3000);
/**
 * Young-generation cap of both pools' threads, in MB (Zephyr's `threads.maxYoungGenerationSizeMb`,
 * Piscina's `resourceLimits.maxYoungGenerationSizeMb`); undefined leaves V8's sizing.
 */
export const POOL_YOUNG_GEN_MB =
  process.env.POOL_YOUNG_GEN_MB === undefined ? undefined : Number(process.env.POOL_YOUNG_GEN_MB);
/** Nice steps below the process of both pools' threads (Zephyr's `niceIncrement`, Piscina's); 0: none. */
export const POOL_NICE = Number(process.env.POOL_NICE ?? 0);
