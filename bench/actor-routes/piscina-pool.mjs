// The Piscina pool both Piscina servers use (fastify.mjs, zephyr-piscina.mjs): `THREADS` threads
// running piscina-task.mjs, with the same young-generation cap and nice increment as Zephyr's pool.
import { Piscina } from 'piscina';
import { POOL_NICE, POOL_YOUNG_GEN_MB, THREADS } from './work.mjs';

/** A pool of `THREADS` threads, neither growing nor shrinking. */
export function piscinaPool() {
  return new Piscina({
    filename: new URL('./piscina-task.mjs', import.meta.url).href,
    minThreads: THREADS,
    maxThreads: THREADS,
    niceIncrement: POOL_NICE,
    ...(POOL_YOUNG_GEN_MB === undefined
      ? {}
      : { resourceLimits: { maxYoungGenerationSizeMb: POOL_YOUNG_GEN_MB } }),
  });
}
