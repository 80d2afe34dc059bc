/**
 * The runtime's error catalogue. Every error thrown or rejected by `@zephyr/runtime` is a
 * {@link RuntimeError} with a stable `ZEPHYR_ERR_*` code, so callers branch on `err.code`, never on
 * message text. Codes survive crossing a thread or a process (see the msgpack codec).
 */

/** What an error says beyond its message: the shared Zephyr error shape. */
export interface RuntimeErrorOptions {
  /** The error this one wraps. */
  readonly cause?: unknown;
  /** HTTP status a server should answer with, where one fits (none for programming errors). */
  readonly status?: number;
  /** Whether the message is safe to show a client (default: true below 500, false otherwise). */
  readonly expose?: boolean;
  /** Seconds after which a retry may succeed (a `Retry-After` hint for 503s). */
  readonly retryAfter?: number;
}

/**
 * Base class of every runtime error. It follows the shared Zephyr error shape: `code` is a stable
 * `ZEPHYR_ERR_*` identifier, `status` an HTTP status hint where one fits (the server answers with
 * it), `expose` whether the message may reach a client, and the standard `cause`.
 */
export class RuntimeError extends Error {
  /** Stable machine-readable code, e.g. `ZEPHYR_ERR_MAILBOX_FULL`. */
  readonly code: string;
  /** HTTP status hint (e.g. 503 for overload); absent for programming and config errors. */
  readonly status?: number;
  /** Whether `message` is safe to show a client. */
  readonly expose: boolean;
  /** Seconds after which retrying may succeed, for overload errors. */
  readonly retryAfter?: number;
  constructor(code: string, message: string, options: RuntimeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter;
    this.expose = options.expose ?? (options.status !== undefined && options.status < 500);
  }
}

/** Overload errors: the work may succeed if retried shortly. */
const OVERLOADED = { status: 503, retryAfter: 1 } as const;
/** The actor or its host is unavailable right now (restarting, moving, the broker away). */
const UNAVAILABLE = { status: 503 } as const;

/** A bounded mailbox with the `reject` policy was full; the sender sees this synchronously (tell) or as a rejection (ask). Also given to askers whose message a drop policy discarded. */
export class MailboxFullError extends RuntimeError {
  constructor(address: string, capacity: number) {
    super('ZEPHYR_ERR_MAILBOX_FULL', `mailbox of ${address} is full (capacity ${capacity})`, OVERLOADED);
  }
}

/** An `ask` got no reply within its timeout. */
export class AskTimeoutError extends RuntimeError {
  constructor(address: string, timeoutMs: number) {
    super('ZEPHYR_ERR_ASK_TIMEOUT', `ask to ${address} timed out after ${timeoutMs} ms`, OVERLOADED);
  }
}

/** The actor is stopped (or stopped before handling the message); the message was dead-lettered. */
export class ActorStoppedError extends RuntimeError {
  constructor(address: string) {
    super('ZEPHYR_ERR_ACTOR_STOPPED', `actor ${address} is stopped`, UNAVAILABLE);
  }
}

/** The message asked about made the actor's handler throw; `cause` is the handler's error. */
export class ActorFailedError extends RuntimeError {
  constructor(address: string, cause: unknown) {
    super('ZEPHYR_ERR_ACTOR_FAILED', `actor ${address} failed while handling the message`, {
      cause,
      status: 500,
    });
  }
}

/** A name given to `spawn` is already registered. */
export class ActorNameTakenError extends RuntimeError {
  constructor(name: string, where?: string) {
    super(
      'ZEPHYR_ERR_ACTOR_NAME_TAKEN',
      `${where === undefined ? '' : `${where}: `}an actor named "${name}" is already registered`,
    );
  }
}

/**
 * A public entry point got an argument it cannot use (an option, a child spec, a message that
 * cannot be sent); the message says which and why. A programming error: no HTTP status.
 */
export class InvalidArgumentError extends RuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ZEPHYR_ERR_INVALID_ARGUMENT', message, options);
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
    super('ZEPHYR_ERR_WORKER_EXITED', `worker thread ${threadId} exited: ${detail}`, UNAVAILABLE);
  }
}

/** The cluster node hosting an actor stopped answering liveness pings. */
export class NodeDownError extends RuntimeError {
  constructor(nodeId: string) {
    super('ZEPHYR_ERR_NODE_DOWN', `cluster node ${nodeId} is down`, UNAVAILABLE);
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
    super('ZEPHYR_ERR_PLACEMENT_UNAVAILABLE', message, UNAVAILABLE);
  }
}

/** A limiter's wait queue is full; the caller should shed the work (e.g. answer 503). */
export class LimiterQueueFullError extends RuntimeError {
  constructor(limit: number) {
    super('ZEPHYR_ERR_LIMITER_QUEUE_FULL', `limiter queue is full (${limit} waiting)`, OVERLOADED);
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
    super('ZEPHYR_ERR_POOL_EXHAUSTED', `${what} is exhausted`, OVERLOADED);
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

/**
 * Distributed mode could not reach its NATS server at startup. The message names the URL, the
 * setting (`runtime.nats_url`) and how to fix it. A config/deployment error: no HTTP status.
 */
export class NatsUnreachableError extends RuntimeError {
  /** The server list tried. */
  readonly url: string;
  constructor(url: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      'ZEPHYR_ERR_NATS_UNREACHABLE',
      `supervisor_mode: distributed could not connect to NATS at ${url} (${why}). ` +
        'Start nats-server there, set runtime.nats_url to your NATS server (and cluster.nats credentials if it ' +
        'requires them), or use supervisor_mode: local.',
      { cause },
    );
    this.url = url;
  }
}

/**
 * The connection to NATS is down right now (the broker restarts or is unreachable) and the
 * message could not be buffered: the send was refused, nothing was half-sent. Retry shortly.
 */
export class ClusterDisconnectedError extends RuntimeError {
  constructor(address: string, detail: string) {
    super('ZEPHYR_ERR_CLUSTER_DISCONNECTED', `cannot send to ${address}: ${detail}`, OVERLOADED);
  }
}

/** A handler on a worker thread ran past its kind's `handlerDeadlineMs`; the thread was terminated and restarted. */
export class HandlerDeadlineError extends RuntimeError {
  constructor(address: string, deadlineMs: number) {
    super(
      'ZEPHYR_ERR_HANDLER_DEADLINE',
      `actor ${address} handled one message for longer than its ${deadlineMs} ms deadline; its worker thread was terminated`,
    );
  }
}

/** An error raised in another thread or process whose class is not known here; `code` is preserved. */
export class RemoteError extends RuntimeError {
  /** The `name` the error had where it was thrown. */
  readonly remoteName: string;
  constructor(
    code: string,
    remoteName: string,
    message: string,
    stack: string | undefined,
    options?: RuntimeErrorOptions,
  ) {
    super(code, message, options);
    this.remoteName = remoteName;
    if (stack !== undefined) this.stack = stack;
  }
}
