// What the dashboard and the REPL read from the app, as small structural interfaces: the objects
// of @zephyr/db, @zephyr/runtime and @zephyr/tracer fit them, and so does anything shaped alike.

/** A child of a supervisor, as `SupervisorRef.children()` reports it. */
export interface DevtoolsChildInfo {
  readonly id: string;
  readonly address: string;
  readonly type: 'actor' | 'supervisor';
  readonly restarts: number;
  readonly mailboxDepth?: number;
}

/** A supervisor of the actor tree. */
export interface DevtoolsSupervisor {
  readonly address: string;
  children(): DevtoolsChildInfo[];
  supervisor(id: string): DevtoolsSupervisor | undefined;
}

/** An actor system (`createActorSystem()`). */
export interface DevtoolsActorSystem {
  readonly rootSupervisor: DevtoolsSupervisor;
  readonly deadLetterCount?: number;
}

/** An actor pool (`createActorPool()`). */
export interface DevtoolsActorPool {
  stats(): {
    readonly id: string;
    readonly pending: readonly number[];
    readonly restarts: readonly number[];
    readonly rejected: number;
  };
}

/** A database (`createDatabase()`): its pool's metrics, when it has a pool. */
export interface DevtoolsDatabase {
  poolMetrics?(): object | undefined;
}

/** Migration status (`createMigrator(db, …)`). */
export interface DevtoolsMigrations {
  status(): Promise<
    readonly { readonly name: string; readonly state: string; readonly appliedAt?: Date | undefined }[]
  >;
}

/** A finished span from the tracer's in-process ring (`TraceRing`). */
export interface DevtoolsSpan {
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly kind: string;
  readonly startTime: number;
  readonly durationMs: number;
  readonly status: { readonly code: string; readonly message?: string };
}

/** A recent trace from the ring. */
export interface DevtoolsTrace {
  readonly traceId: string;
  readonly startTime: number;
  readonly spans: readonly DevtoolsSpan[];
}
