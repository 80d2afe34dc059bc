import type { AnyActorDefinition } from '../actor/actor-definition.js';
import type { MailboxOptions } from '../mailbox/mailbox.js';

/** How a supervisor reacts to one child's exit. */
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one';

/**
 * When a child is restarted (OTP semantics):
 * - `permanent`: always, even after a normal exit;
 * - `transient`: only after a failure;
 * - `temporary`: never; it is removed from the supervisor.
 */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/** Where an actor runs. `auto`: `cluster` in distributed mode, else `thread` when there are actor threads, else `local` — the last two only for definitions with a `kind`. */
export type Placement = 'auto' | 'local' | 'thread' | 'cluster';

/** More than `maxRestarts` restarts within `withinMs` makes the supervisor give up and escalate. */
export interface RestartIntensity {
  /** Restarts tolerated within the window. */
  readonly maxRestarts: number;
  /** The sliding window, in ms. */
  readonly withinMs: number;
}

/** Delay before a restart: `initialMs * factor^(n-1)` for the n-th restart of a child in the intensity window, capped at `maxMs`. */
export interface Backoff {
  /** Delay of the first restart in the window. */
  readonly initialMs: number;
  /** Longest delay. */
  readonly maxMs: number;
  /** Default 2. */
  readonly factor?: number;
}

/** An actor child of a supervisor. */
export interface ActorChildSpec {
  /** Unique among the supervisor's children. */
  readonly id: string;
  /** The behaviour (needs a `kind` for thread or cluster placement). */
  readonly actor: AnyActorDefinition;
  /** Default `permanent`. */
  readonly restart?: RestartType;
  /** Registers the child in the system registry under this name. */
  readonly name?: string;
  /** Overrides the definition's mailbox options. */
  readonly mailbox?: MailboxOptions;
  /** Default `auto`. */
  readonly placement?: Placement;
}

/** A nested supervisor child. */
export interface SupervisorChildSpec {
  /** Unique among the parent's children. */
  readonly id: string;
  /** The nested supervisor's strategy, intensity and children. */
  readonly supervisor: SupervisorSpec;
  /** Default `permanent`. */
  readonly restart?: RestartType;
}

/** One child of a supervisor. */
export type ChildSpec = ActorChildSpec | SupervisorChildSpec;

/** A supervisor: its strategy, restart intensity, backoff and static children (started in order). */
export interface SupervisorSpec {
  /** Default `one_for_one`. */
  readonly strategy?: Strategy;
  /** Default 3 restarts in 5000 ms (OTP's default is 1 in 5 s; a little slack suits async services). */
  readonly intensity?: RestartIntensity;
  /** Default: restart at once. */
  readonly backoff?: Backoff;
  /** Static children, started in order (and restarted when this supervisor is). */
  readonly children?: readonly ChildSpec[];
}
