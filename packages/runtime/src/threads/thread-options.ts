import type { ResourceLimits } from 'node:worker_threads';
import { InvalidArgumentError } from '../errors.js';

/** Options of the actor worker threads (`createActorSystem({ threads })`). */
export interface ActorThreadOptions {
  /**
   * Cap on each actor thread's V8 young generation, in MB (Node's
   * `resourceLimits.maxYoungGenerationSizeMb`): an integer in 3..1024, default
   * {@link DEFAULT_MAX_YOUNG_GENERATION_MB}. Why a cap: loading the runtime and the actor modules
   * makes V8 grow the semi-spaces to 8 MB, and scavenging that much per-message garbage that holds
   * native objects (hashes, zlib streams, buffers) runs out of cache: a 5 ms hashing handler spent
   * about a quarter of its thread's CPU in the collector (`bench/actor-routes`). Raise it for
   * handlers that keep many objects alive across a message.
   */
  readonly maxYoungGenerationSizeMb?: number;
}

/** Default of {@link ActorThreadOptions.maxYoungGenerationSizeMb}: 2 MB semi-spaces, about what a bare worker settles at. */
export const DEFAULT_MAX_YOUNG_GENERATION_MB = 6;
/** V8 needs room for two semi-spaces of at least 1 MB and the new large-object space. */
const MIN_YOUNG_GENERATION_MB = 3;
const MAX_YOUNG_GENERATION_MB = 1024;

/**
 * Validates `options` and returns the `resourceLimits` every actor worker is started with.
 * @throws {InvalidArgumentError} for anything but an object with an integer young-generation size in range.
 */
export function threadResourceLimits(options: ActorThreadOptions = {}): ResourceLimits {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('threads must be an object { maxYoungGenerationSizeMb? }');
  for (const key of Object.keys(options))
    if (key !== 'maxYoungGenerationSizeMb')
      throw new InvalidArgumentError(`threads has no option "${key}" (known: maxYoungGenerationSizeMb)`);
  const mb = options.maxYoungGenerationSizeMb ?? DEFAULT_MAX_YOUNG_GENERATION_MB;
  if (!Number.isInteger(mb) || mb < MIN_YOUNG_GENERATION_MB || mb > MAX_YOUNG_GENERATION_MB)
    throw new InvalidArgumentError(
      `threads.maxYoungGenerationSizeMb must be an integer in ${MIN_YOUNG_GENERATION_MB}..${MAX_YOUNG_GENERATION_MB}, got ${String(mb)}`,
    );
  return { maxYoungGenerationSizeMb: mb };
}
