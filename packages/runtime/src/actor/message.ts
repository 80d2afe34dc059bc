/** Every actor message is an object discriminated by a string `type` (a discriminated union). */
export interface Message {
  readonly type: string;
}

/**
 * Maps a message `type` to the reply an `ask` with that message resolves to. Types without an
 * entry reply `void`.
 *
 * @example type CounterReplies = { get: number };
 */
export type ReplyMap = { readonly [type: string]: unknown };

/** The reply type for a message type `T` under reply map `R`. */
export type ReplyOf<R extends ReplyMap, T extends string> = T extends keyof R ? R[T] : undefined;

/** Why an actor (or supervisor) stopped. */
export type ExitReason =
  /** It stopped itself (`ctx.stop()`) or finished normally: transient children are not restarted. */
  | { readonly type: 'normal' }
  /** Its supervisor or the system shut it down. */
  | { readonly type: 'shutdown' }
  /** It failed: a handler or hook threw, its thread died or its node went down. */
  | { readonly type: 'error'; readonly error: unknown };

/** Delivered to watchers when the watched actor terminates for good (not on a restart). */
export interface DeathNotice {
  /** Address of the actor that terminated. */
  readonly address: string;
  /** Why it terminated. */
  readonly reason: ExitReason;
}

/** A message that could not be delivered or was discarded, published on the system's dead letters. */
export interface DeadLetter {
  /** Address of the intended recipient. */
  readonly recipient: string;
  /** The message. */
  readonly message: unknown;
  /**
   * Why it was not delivered; `failed`: its handler threw (the message is not retried);
   * `malformed`: it arrived from another node but was not a message (junk is never handled).
   */
  readonly reason:
    | 'stopped'
    | 'failed'
    | 'mailbox-full'
    | 'dropped-oldest'
    | 'dropped-newest'
    | 'unreachable'
    | 'malformed';
}

/** Checks the shape every message must have; runs on every tell, so it is kept to two typeofs. */
export function isMessage(value: unknown): value is Message {
  return typeof value === 'object' && value !== null && typeof (value as Message).type === 'string';
}
