import type { MailboxOptions } from '../mailbox/mailbox.js';
import type { ActorRef } from './actor-ref.js';
import type { ActorTimers } from './actor-timers.js';
import type { DeathNotice, Message, ReplyMap } from './message.js';

/** What an actor's handlers can do besides computing replies. */
export interface ActorContext<M extends Message = Message, R extends ReplyMap = ReplyMap> {
  /** This actor's own ref (stable across restarts). */
  readonly self: ActorRef<M, R>;
  /** The registered name, if spawned with one. */
  readonly name: string | undefined;
  /** Timers that send this actor a message; all are cancelled on restart and stop. */
  readonly timers: ActorTimers<M>;
  /**
   * Sets the message being handled aside, unanswered, until {@link unstashAll}. Stashed messages
   * survive a restart: they are put back in front of the mailbox.
   */
  stash(): void;
  /** Puts every stashed message back at the front of the mailbox, in the order they were stashed. */
  unstashAll(): void;
  /** Calls the definition's `terminated` hook, in mailbox order, when `ref` terminates. */
  watch(ref: ActorRef<never, ReplyMap> | ActorRef): void;
  /** Cancels a {@link watch}. */
  unwatch(ref: ActorRef<never, ReplyMap> | ActorRef): void;
  /** Stops this actor normally after the current message (`transient` children are not restarted). */
  stop(): void;
}

/**
 * An actor's behaviour. `start` builds the state, `receive` handles one message at a time (the
 * next message is not delivered until the returned promise, if any, settles); the value `receive`
 * returns answers an `ask`.
 *
 * @typeParam M - the message union
 * @typeParam S - the state built by `start`
 * @typeParam R - reply types by message `type`
 */
export interface ActorDefinition<M extends Message, S, R extends ReplyMap = ReplyMap> {
  /**
   * Name this definition is registered under in thread/cluster modules; required to place the
   * actor on a worker thread or another node (functions cannot be sent, names can).
   */
  readonly kind?: string;
  /** Default mailbox options (spawn options override them). */
  readonly mailbox?: MailboxOptions;
  /**
   * Worker-thread actors: longest one turn of synchronous message handling may take. Past it the
   * worker thread is terminated and replaced, this actor fails with `HandlerDeadlineError` and the
   * other actors of that thread with `WorkerExitedError`; their supervisors restart them. (A
   * handler on the main thread cannot be interrupted, so there it is not enforced.)
   */
  readonly handlerDeadlineMs?: number;
  /** Builds the state; runs on first start and on every restart. Throwing here fails the start. */
  start(ctx: ActorContext<M, R>): S | Promise<S>;
  /** Handles one message; the return value (awaited if a promise) is the reply to an `ask`. */
  receive(state: S, msg: M, ctx: ActorContext<M, R>): unknown;
  /** Runs once when the actor stops for good (not on restart). */
  stop?(state: S, ctx: ActorContext<M, R>): void | Promise<void>;
  /** Runs on the failed incarnation before a restart; `reason` is what made it fail. */
  beforeRestart?(state: S, reason: unknown, ctx: ActorContext<M, R>): void | Promise<void>;
  /** Receives death notices of actors this one {@link ActorContext.watch}es. */
  terminated?(state: S, notice: DeathNotice, ctx: ActorContext<M, R>): void | Promise<void>;
}

/** An actor definition of any message and state type (what registries and spawners accept). */
// biome-ignore lint/suspicious/noExplicitAny: state is private to each definition; erased at the registry boundary only
export type AnyActorDefinition = ActorDefinition<any, any, any>;

/**
 * Declares an actor with typed messages and replies; the state type is inferred from `start`.
 *
 * @example
 * type CounterMsg = { type: 'add'; by: number } | { type: 'get' };
 * const counter = defineActor<CounterMsg, { get: number }>()({
 *   kind: 'counter',
 *   start: () => ({ n: 0 }),
 *   receive(state, msg) {
 *     if (msg.type === 'add') state.n += msg.by;
 *     else return state.n;
 *   },
 * });
 */
export function defineActor<M extends Message, R extends ReplyMap = ReplyMap>() {
  return <S>(definition: ActorDefinition<M, S, R>): ActorDefinition<M, S, R> => definition;
}
