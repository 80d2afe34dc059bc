import type { ActorDefinition } from '../actor/actor-definition.js';
import type { ActorRef } from '../actor/actor-ref.js';
import type { DeathNotice, Message, ReplyMap } from '../actor/message.js';
import type { ActorChildSpec, RestartType, SupervisorChildSpec } from './child-spec.js';

/** A snapshot of one child of a supervisor. */
export interface ChildInfo {
  /** The id from its child spec. */
  readonly id: string;
  /** Address of the current incarnation. */
  readonly address: string;
  /** An actor or a nested supervisor. */
  readonly type: 'actor' | 'supervisor';
  /** Its restart type. */
  readonly restart: RestartType;
  /** Restarts of this child so far. */
  readonly restarts: number;
  /**
   * Messages queued in its mailbox and not yet handled; present for actors in this thread only
   * (an actor on a worker thread or another node keeps its mailbox there).
   */
  readonly mailboxDepth?: number;
}

/** A typed actor child spec (what {@link SupervisorRef.startChild} accepts for actors). */
export interface TypedActorChildSpec<M extends Message, S, R extends ReplyMap> extends ActorChildSpec {
  readonly actor: ActorDefinition<M, S, R>;
}

/** Handle to a supervisor: add and remove children at run time (dynamic children), inspect them. */
export interface SupervisorRef {
  /** The supervisor's address. */
  readonly address: string;
  /** Starts a dynamic child. Dynamic children are not restarted when the supervisor itself is restarted (OTP semantics). */
  startChild<M extends Message, S, R extends ReplyMap>(spec: TypedActorChildSpec<M, S, R>): ActorRef<M, R>;
  /** Starts a nested supervisor as a dynamic child. */
  startSupervisor(spec: SupervisorChildSpec): SupervisorRef;
  /** Stops a child for good and removes it. */
  terminateChild(id: string): Promise<void>;
  /**
   * The ref of actor child `id` (undefined if there is none or it is a supervisor); the caller
   * states its message and reply types. Refs stay valid across restarts of the child, but a
   * restarted nested supervisor creates its children anew, with new refs.
   */
  actor<M extends Message = Message, R extends ReplyMap = ReplyMap>(id: string): ActorRef<M, R> | undefined;
  /** The handle of nested supervisor child `id`. */
  supervisor(id: string): SupervisorRef | undefined;
  /** The children in start order. */
  children(): ChildInfo[];
  /** Calls `listener` when the supervisor terminates (e.g. gave up after too many restarts). */
  watch(listener: (notice: DeathNotice) => void): () => void;
}
