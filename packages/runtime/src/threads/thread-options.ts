import type { ResourceLimits } from 'node:worker_threads';
import { InvalidArgumentError } from '../errors.js';

/** Options of the actor worker threads (`createActorSystem({ threads })`). */
export interface ActorThreadOptions {
  /**
   * Cap on each actor thread's V8 young generation, in MB (Node's
   * `resourceLimits.maxYoungGenerationSizeMb`): an integer in 3..1024; default none, V8's own
   * sizing. Loading the runtime and the actor modules grows a thread's semi-spaces to 8 MB, and
   * V8 never shrinks them: handlers whose per-message garbage holds native objects (a hash per
   * round, zlib streams, buffers) then pay for scavenges that run out of cache, and `6` (2 MB
   * semi-spaces, where a bare worker stays) took a 5 ms SHA-256 handler from 8.3 to 6.5 ms of CPU.
   * Handlers that allocate plain JS objects (JSON in and out) go the other way: 10.5 ms with
   * V8's sizing, 14 ms at `6`. Measure yours (`bench/actor-routes`).
   */
  readonly maxYoungGenerationSizeMb?: number;
}

/** V8 needs room for two semi-spaces of at least 1 MB and the new large-object space. */
const MIN_YOUNG_GENERATION_MB = 3;
const MAX_YOUNG_GENERATION_MB = 1024;

/**
 * Validates `options` and returns the `resourceLimits` every actor worker is started with (empty:
 * V8's own sizing).
 * @throws {InvalidArgumentError} for anything but an object with an integer young-generation size in range.
 */
export function threadResourceLimits(options: ActorThreadOptions = {}): ResourceLimits {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('threads must be an object { maxYoungGenerationSizeMb? }');
  for (const key of Object.keys(options))
    if (key !== 'maxYoungGenerationSizeMb')
      throw new InvalidArgumentError(`threads has no option "${key}" (known: maxYoungGenerationSizeMb)`);
  const mb = options.maxYoungGenerationSizeMb;
  if (mb === undefined) return {};
  if (!Number.isInteger(mb) || mb < MIN_YOUNG_GENERATION_MB || mb > MAX_YOUNG_GENERATION_MB)
    throw new InvalidArgumentError(
      `threads.maxYoungGenerationSizeMb must be an integer in ${MIN_YOUNG_GENERATION_MB}..${MAX_YOUNG_GENERATION_MB}, got ${String(mb)}`,
    );
  return { maxYoungGenerationSizeMb: mb };
}
