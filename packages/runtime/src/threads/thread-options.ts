import { platform } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import { InvalidArgumentError } from '../errors.js';
import { LOWEST_PRIORITY } from './thread-priority.js';

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
  /**
   * Nice steps each actor thread runs below the process (Linux only): an integer in 0..19;
   * default 0. Where the event loop shares a core with a busy actor thread (more threads than
   * cores, or other processes), the kernel lets a thread that was running finish its time slice
   * before the event loop it just woke (a reply) gets the core: up to a scheduler tick, 4 ms here.
   * A lower priority lets the event loop in at once. Measured on one shared core with 0.5 ms
   * handlers: event-loop waits over 1 ms went from 52–61 to 3 in 5 s at `5`, 1 at `10`.
   */
  readonly niceIncrement?: number;
}

/** How every actor worker thread is started. */
export interface ThreadStartOptions {
  /** Given to `new Worker` (empty: V8's own sizing). */
  readonly resourceLimits: ResourceLimits;
  /** Applied by the thread itself before it loads any actor module (0: none). */
  readonly niceIncrement: number;
}

/** V8 needs room for two semi-spaces of at least 1 MB and the new large-object space. */
const MIN_YOUNG_GENERATION_MB = 3;
const MAX_YOUNG_GENERATION_MB = 1024;

const KNOWN = ['maxYoungGenerationSizeMb', 'niceIncrement'];

/**
 * Validates `options` and returns how every actor worker is started.
 * @throws {InvalidArgumentError} for anything but an object of the known options, each in range,
 * or a `niceIncrement` above 0 off Linux.
 */
export function threadStartOptions(options: ActorThreadOptions = {}): ThreadStartOptions {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError(`threads must be an object { ${KNOWN.join('?, ')}? }`);
  for (const key of Object.keys(options))
    if (!KNOWN.includes(key))
      throw new InvalidArgumentError(`threads has no option "${key}" (known: ${KNOWN.join(', ')})`);
  return {
    resourceLimits: youngGeneration(options.maxYoungGenerationSizeMb),
    niceIncrement: nice(options.niceIncrement),
  };
}

function youngGeneration(mb: number | undefined): ResourceLimits {
  if (mb === undefined) return {};
  if (!Number.isInteger(mb) || mb < MIN_YOUNG_GENERATION_MB || mb > MAX_YOUNG_GENERATION_MB)
    throw new InvalidArgumentError(
      `threads.maxYoungGenerationSizeMb must be an integer in ${MIN_YOUNG_GENERATION_MB}..${MAX_YOUNG_GENERATION_MB}, got ${String(mb)}`,
    );
  return { maxYoungGenerationSizeMb: mb };
}

function nice(increment: number | undefined): number {
  if (increment === undefined) return 0;
  if (!Number.isInteger(increment) || increment < 0 || increment > LOWEST_PRIORITY)
    throw new InvalidArgumentError(
      `threads.niceIncrement must be an integer in 0..${LOWEST_PRIORITY}, got ${String(increment)}`,
    );
  // Elsewhere a thread's priority cannot be set apart from its process's.
  if (increment > 0 && platform() !== 'linux')
    throw new InvalidArgumentError(`threads.niceIncrement needs Linux (this is ${platform()})`);
  return increment;
}
