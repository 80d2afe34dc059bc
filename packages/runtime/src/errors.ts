/**
 * The runtime's error catalogue. Every error thrown or rejected by `@zephyr/runtime` is a
 * {@link RuntimeError} with a stable `ZEPHYR_ERR_*` code, so callers branch on `err.code`, never on
 * message text. Codes survive crossing a thread or a process (see the msgpack codec).
 */

/** Base class of every runtime error; `code` is a stable `ZEPHYR_ERR_*` identifier. */
export class RuntimeError extends Error {
  /** Stable machine-readable code, e.g. `ZEPHYR_ERR_MAILBOX_FULL`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A bounded mailbox with the `reject` policy was full; the sender sees this synchronously (tell) or as a rejection (ask). Also given to askers whose message a drop policy discarded. */
export class MailboxFullError extends RuntimeError {
  constructor(address: string, capacity: number) {
    super('ZEPHYR_ERR_MAILBOX_FULL', `mailbox of ${address} is full (capacity ${capacity})`);
  }
}

/** An `ask` got no reply within its timeout. */
export class AskTimeoutError extends RuntimeError {
  constructor(address: string, timeoutMs: number) {
    super('ZEPHYR_ERR_ASK_TIMEOUT', `ask to ${address} timed out after ${timeoutMs} ms`);
  }
}

/** The actor is stopped (or stopped before handling the message); the message was dead-lettered. */
export class ActorStoppedError extends RuntimeError {
  constructor(address: string) {
    super('ZEPHYR_ERR_ACTOR_STOPPED', `actor ${address} is stopped`);
  }
}

/** The message asked about made the actor's handler throw; `cause` is the handler's error. */
export class ActorFailedError extends RuntimeError {
  constructor(address: string, cause: unknown) {
    super('ZEPHYR_ERR_ACTOR_FAILED', `actor ${address} failed while handling the message`, { cause });
  }
}

/** A name given to `spawn` is already registered. */
export class ActorNameTakenError extends RuntimeError {
  constructor(name: string) {
    super('ZEPHYR_ERR_ACTOR_NAME_TAKEN', `an actor named "${name}" is already registered`);
  }
}

/** A public entry point got an argument it cannot use; the message says which and why. */
export class InvalidArgumentError extends RuntimeError {
  constructor(message: string) {
    super('ZEPHYR_ERR_RUNTIME_INVALID_ARGUMENT', message);
  }
}

/** A supervisor exceeded its restart intensity and gave up; `cause` is the last child failure. */
export class RestartIntensityError extends RuntimeError {
  constructor(supervisor: string, maxRestarts: number, withinMs: number, cause: unknown) {
    super(
      'ZEPHYR_ERR_RESTART_INTENSITY',
      `supervisor ${supervisor} exceeded ${maxRestarts} restarts in ${withinMs} ms and gave up`,
      { cause },
    );
  }
}

/** Given to siblings restarted by `one_for_all` / `rest_for_one` because another child failed. */
export class SiblingFailedError extends RuntimeError {
  constructor(sibling: string, cause: unknown) {
    super('ZEPHYR_ERR_SIBLING_FAILED', `restarted because sibling ${sibling} failed`, { cause });
  }
}

/** The worker thread hosting an actor exited; in-flight asks are rejected with this. */
export class WorkerExitedError extends RuntimeError {
  constructor(threadId: number, detail: string) {
    super('ZEPHYR_ERR_WORKER_EXITED', `worker thread ${threadId} exited: ${detail}`);
  }
}

/** The cluster node hosting an actor stopped answering liveness pings. */
export class NodeDownError extends RuntimeError {
  constructor(nodeId: string) {
    super('ZEPHYR_ERR_NODE_DOWN', `cluster node ${nodeId} is down`);
  }
}

/** A thread or node was asked to spawn an actor kind none of its modules define. */
export class UnknownActorKindError extends RuntimeError {
  constructor(kind: string, where: string) {
    super('ZEPHYR_ERR_UNKNOWN_ACTOR_KIND', `no actor kind "${kind}" is registered on ${where}`);
  }
}

/** A placement (thread or cluster) is not available: no thread pool, not in distributed mode, no live node. */
export class PlacementUnavailableError extends RuntimeError {
  constructor(message: string) {
    super('ZEPHYR_ERR_PLACEMENT_UNAVAILABLE', message);
  }
}

/** A limiter's wait queue is full; the caller should shed the work (e.g. answer 503). */
export class LimiterQueueFullError extends RuntimeError {
  constructor(limit: number) {
    super('ZEPHYR_ERR_LIMITER_QUEUE_FULL', `limiter queue is full (${limit} waiting)`);
  }
}

/** A wait (limiter, scheduler task) was aborted by its `AbortSignal`. */
export class OperationAbortedError extends RuntimeError {
  constructor(what: string, cause?: unknown) {
    super('ZEPHYR_ERR_ABORTED', `${what} was aborted`, { cause });
  }
}

/** A pool has no free item and may not grow. */
export class PoolExhaustedError extends RuntimeError {
  constructor(what: string) {
    super('ZEPHYR_ERR_POOL_EXHAUSTED', `${what} is exhausted`);
  }
}

/** An item was released to a pool that did not hand it out, or released twice. */
export class PoolReleaseError extends RuntimeError {
  constructor(what: string) {
    super(
      'ZEPHYR_ERR_POOL_RELEASE',
      `${what}: released an item that is not currently acquired from this pool`,
    );
  }
}

/** An error raised in another thread or process whose class is not known here; `code` is preserved. */
export class RemoteError extends RuntimeError {
  /** The `name` the error had where it was thrown. */
  readonly remoteName: string;
  constructor(code: string, remoteName: string, message: string, stack: string | undefined) {
    super(code, message);
    this.remoteName = remoteName;
    if (stack !== undefined) this.stack = stack;
  }
}
