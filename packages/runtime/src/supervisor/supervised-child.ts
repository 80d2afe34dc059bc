import type { ExitReason } from '../actor/message.js';

/** Who a child reports its exits to (a supervisor, or a proxy for one in another thread/process). */
export interface ChildParent {
  /** The child stopped running: it failed, stopped itself, or its thread/node died. */
  childExited(child: SupervisedChild, reason: ExitReason): void;
}

/**
 * What a supervisor drives: a local actor, a nested supervisor, or an actor in a worker thread or
 * on another node. A restart is `halt` then `resume`, so `one_for_all` can halt every sibling
 * before resuming any, as OTP does.
 */
export interface SupervisedChild {
  /** The child's address. */
  readonly address: string;
  /** Messages queued and not yet handled, where this thread can see the mailbox (local actors). */
  readonly mailboxDepth?: number;
  /** Starts the first incarnation; a failure is reported through `childExited`, never thrown. */
  start(): void;
  /** Stops handling messages and runs `beforeRestart`; queued messages stay queued. */
  halt(reason: unknown): Promise<void>;
  /** Starts a new incarnation after `delayMs`; a failing start is reported through `childExited`. */
  resume(delayMs: number): Promise<void>;
  /** Terminates for good: queued messages go to dead letters, watchers get a death notice. */
  stop(reason: ExitReason): Promise<void>;
}
