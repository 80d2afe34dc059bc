import type { ActorDefinition } from '../actor/actor-definition.js';
import type { ActorRef } from '../actor/actor-ref.js';
import type { ActorSystem } from '../actor/actor-system.js';
import type { Message, ReplyMap, ReplyOf } from '../actor/message.js';
import {
  ActorStoppedError,
  InvalidArgumentError,
  MailboxFullError,
  PlacementUnavailableError,
} from '../errors.js';
import type { Backoff, Placement, RestartIntensity } from '../supervisor/child-spec.js';
import type { SupervisorRef } from '../supervisor/supervisor-ref.js';
import { threadCount } from '../threads/thread-pool.js';

/** Options of {@link createActorPool}. */
export interface ActorPoolOptions {
  /**
   * How many actors: a number, or `'auto'` (the default) for one per actor thread of the system
   * (`runtime.actor_threads`, whose `auto` is cores − 1).
   */
  readonly size?: number | 'auto';
  /**
   * Messages the pool lets wait at one actor (the one being handled included); default 16. When
   * every actor has this many, `ask` rejects at once with `MailboxFullError` (503, `retryAfter` 1)
   * instead of queueing without bound.
   */
  readonly maxPendingPerActor?: number;
  /** Where the actors run; default `thread` (the definition needs a `kind`). */
  readonly placement?: Placement;
  /** The pool supervisor's restart intensity (default 3 restarts in 5000 ms, then it escalates). */
  readonly intensity?: RestartIntensity;
  /** Delay before restarts (default none). */
  readonly backoff?: Backoff;
  /** Id of the pool's supervisor under the root (default `pool:<kind>`). */
  readonly id?: string;
}

/** What {@link ActorPool.stats} reports: the pool's mailboxes as the pool sees them. */
export interface ActorPoolStats {
  /** The supervisor's id. */
  readonly id: string;
  /** Messages sent and not yet answered, per actor (what routing balances). */
  readonly pending: readonly number[];
  /** Restarts of each actor so far. */
  readonly restarts: readonly number[];
  /** Asks refused because every actor was full. */
  readonly rejected: number;
}

/**
 * Supervised actors of one definition that share work: each `ask` goes to the actor with the
 * fewest unanswered messages. The shape `{ ask(message, { timeoutMs }) }` is what
 * `actorRoute` of `@zephyr/server` takes.
 */
export interface ActorPool<M extends Message = Message, R extends ReplyMap = ReplyMap> {
  /** Number of actors. */
  readonly size: number;
  /**
   * Asks the least-loaded actor. Rejects with `MailboxFullError` when every actor already has
   * `maxPendingPerActor` messages, and otherwise as `ActorRef.ask` does.
   */
  ask<Q extends M>(message: Q, options?: { readonly timeoutMs?: number }): Promise<ReplyOf<R, Q['type']>>;
  /** The pool's mailbox depths and restart counts (for dashboards and tests). */
  stats(): ActorPoolStats;
  /** Stops the pool's actors; later asks reject with `ActorStoppedError`. */
  close(): Promise<void>;
}

const DEFAULT_MAX_PENDING = 16;

function positiveInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new InvalidArgumentError(`${what} must be an integer ≥ 1, got ${String(value)}`);
  return value;
}

/**
 * Starts `size` actors of `definition` under one `one_for_one` supervisor and returns a pool that
 * routes each ask to the least-loaded of them. An actor that throws fails only that ask
 * (`ActorFailedError`, 500) and is restarted under `intensity`; on worker threads a handler past
 * its definition's `handlerDeadlineMs` gets its thread replaced by the watchdog.
 *
 * @example
 * const system = await createActorSystem({ config: { actor_threads: 'auto' }, modules: [new URL('./resizer.js', import.meta.url)] });
 * const pool = createActorPool(system, resizer); // one actor per actor thread
 * const reply = await pool.ask({ type: 'resize', width: 64 });
 */
export function createActorPool<M extends Message, S, R extends ReplyMap>(
  system: ActorSystem,
  definition: ActorDefinition<M, S, R>,
  options: ActorPoolOptions = {},
): ActorPool<M, R> {
  if (typeof definition !== 'object' || definition === null || typeof definition.receive !== 'function')
    throw new InvalidArgumentError('createActorPool needs an actor definition (from defineActor)');
  const placement = options.placement ?? 'thread';
  if (placement !== 'local' && typeof definition.kind !== 'string')
    throw new InvalidArgumentError(
      `a pool placed on "${placement}" needs a definition with a kind, exported by one of the system's modules`,
    );
  const threads = threadCount(system.config.actor_threads);
  // Caught here, not as children failing to start until their supervisor gives up.
  if (placement === 'thread' && threads === 0)
    throw new PlacementUnavailableError(
      'an actor pool on threads needs actor threads: set runtime.actor_threads to a number ≥ 1 or auto',
    );
  const size =
    options.size === undefined || options.size === 'auto'
      ? Math.max(1, threads)
      : positiveInteger(options.size, 'size');
  const maxPending = positiveInteger(options.maxPendingPerActor ?? DEFAULT_MAX_PENDING, 'maxPendingPerActor');
  const id = options.id ?? `pool:${definition.kind ?? 'local'}`;
  const ids = Array.from({ length: size }, (_, i) => `${id}/${i}`);
  const supervisor = system.supervise(
    {
      strategy: 'one_for_one',
      ...(options.intensity !== undefined ? { intensity: options.intensity } : {}),
      ...(options.backoff !== undefined ? { backoff: options.backoff } : {}),
      children: ids.map((child) => ({ id: child, actor: definition, placement })),
    },
    { id },
  );
  return new LeastLoadedPool<M, R>(system, supervisor, id, ids, maxPending);
}

class LeastLoadedPool<M extends Message, R extends ReplyMap> implements ActorPool<M, R> {
  private readonly pending: number[];
  private rejected = 0;
  /** Where the search for the least-loaded actor starts, so ties rotate instead of piling on 0. */
  private start = 0;
  private closed = false;

  constructor(
    private readonly system: ActorSystem,
    private readonly supervisor: SupervisorRef,
    private readonly id: string,
    private readonly ids: readonly string[],
    private readonly maxPending: number,
  ) {
    this.pending = ids.map(() => 0);
  }

  get size(): number {
    return this.ids.length;
  }

  ask<Q extends M>(message: Q, options?: { readonly timeoutMs?: number }): Promise<ReplyOf<R, Q['type']>> {
    if (this.closed) return Promise.reject(new ActorStoppedError(this.id));
    const index = this.leastLoaded();
    if (this.pending[index]! >= this.maxPending) {
      this.rejected++;
      return Promise.reject(new MailboxFullError(`actor pool ${this.id}`, this.maxPending * this.size));
    }
    // Resolved per ask: a pool supervisor restarted by its parent has new children.
    const ref = this.supervisor.actor(this.ids[index]!) as ActorRef<M, R> | undefined;
    if (ref === undefined) return Promise.reject(new ActorStoppedError(`${this.id}/${index}`));
    this.pending[index]!++;
    const settle = (): void => {
      this.pending[index]!--;
    };
    const reply = ref.ask(message, options);
    reply.then(settle, settle);
    return reply;
  }

  private leastLoaded(): number {
    const n = this.pending.length;
    let best = this.start;
    for (let k = 1; k < n; k++) {
      const i = (this.start + k) % n;
      if (this.pending[i]! < this.pending[best]!) best = i;
    }
    this.start = (this.start + 1) % n;
    return best;
  }

  stats(): ActorPoolStats {
    const restarts = new Map(this.supervisor.children().map((c) => [c.id, c.restarts]));
    return {
      id: this.id,
      pending: [...this.pending],
      restarts: this.ids.map((child) => restarts.get(child) ?? 0),
      rejected: this.rejected,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.system.stop(this.id);
  }
}
