import type { DeathNotice, Message, ReplyMap, ReplyOf } from './message.js';

/** Options of {@link ActorRef.ask}. */
export interface AskOptions {
  /** Milliseconds before the ask rejects with `AskTimeoutError` (default 5000). */
  readonly timeoutMs?: number;
}

/**
 * A location-transparent handle to an actor: the same interface whether the actor runs in this
 * thread, a worker thread or another process. Refs stay valid across restarts of the actor by its
 * supervisor; they can be sent inside messages to other threads and processes.
 *
 * @typeParam M - the union of messages the actor accepts
 * @typeParam R - reply types by message `type`, for `ask`
 */
export interface ActorRef<M extends Message = Message, R extends ReplyMap = ReplyMap> {
  /** Unique address, e.g. `node-1/7` (local) or `node-1/t3` (worker thread). */
  readonly address: string;
  /**
   * Sends a message without waiting. Messages from one sender arrive in the order sent.
   * @throws {MailboxFullError} when the mailbox is full under the `reject` policy (local actors).
   * @throws {InvalidArgumentError} when `msg` has no string `type`.
   */
  tell(msg: M): void;
  /**
   * Sends a message and resolves once it is queued: at once, unless the actor's mailbox is full
   * under the `backpressure` policy, in which case the returned promise waits for space.
   * Rejects like `tell` throws.
   */
  send(msg: M): Promise<void>;
  /**
   * Sends a message and resolves with the handler's return value.
   * Rejects with `AskTimeoutError`, `ActorFailedError` (the handler threw), `ActorStoppedError` or
   * `MailboxFullError`.
   */
  ask<Q extends M>(msg: Q, options?: AskOptions): Promise<ReplyOf<R, Q['type']>>;
  /**
   * Calls `listener` once when the actor terminates for good (immediately if it already has).
   * Returns a function that cancels the watch.
   */
  watch(listener: (notice: DeathNotice) => void): () => void;
}
