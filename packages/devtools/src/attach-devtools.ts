import type { App, Context } from '@zephyr/server';
import { type ControlServer, startControlServer } from './control/control-server.js';
import { appRootOf, runtimeDir, socketPathFor } from './control/socket-path.js';
import { type DashboardInputs, dashboardSnapshot } from './dashboard/dashboard-snapshot.js';
import type {
  DevtoolsActorPool,
  DevtoolsActorSystem,
  DevtoolsDatabase,
  DevtoolsMigrations,
  DevtoolsTrace,
} from './dashboard/dashboard-sources.js';
import { DASHBOARD_PATH, mountDashboard } from './dashboard/mount-dashboard.js';
import { ProcessSampler } from './dashboard/process-sampler.js';
import { RequestMetrics } from './dashboard/request-metrics.js';
import { InvalidArgumentError } from './devtools-errors.js';
import { captureHeapSnapshot } from './heap/capture-heap-snapshot.js';
import { captureCpuProfile, profileSeconds } from './profile/capture-cpu-profile.js';
import { DEFAULT_REPL_TIMEOUT_MS, ReplEvaluator } from './repl/repl-evaluator.js';

/** Options of {@link attachDevtools}. */
export interface AttachDevtoolsOptions {
  /** The app (before `listen`): the dashboard's routes and request metrics are added to it. */
  readonly app: App;
  /** The database (`createDatabase()`): `db` in the REPL, pool metrics on the dashboard. */
  readonly db?: DevtoolsDatabase;
  /** The actor system: `system` in the REPL, the actor tree on the dashboard. */
  readonly system?: DevtoolsActorSystem;
  /** The configuration: `config` in the REPL. */
  readonly config?: unknown;
  /** Actor pools shown with their pending asks and restarts. */
  readonly pools?: readonly DevtoolsActorPool[];
  /** Migration status for the dashboard (`createMigrator(db, { directory })`). */
  readonly migrations?: DevtoolsMigrations;
  /** Recent traces (e.g. `() => currentTracing()?.ring?.traces()`); `undefined` while tracing is off. */
  readonly traces?: () => readonly DevtoolsTrace[] | undefined;
  /** More names for the REPL's scope. */
  readonly scope?: Readonly<Record<string, unknown>>;
  /** The app's root, which names its socket (default: the directory of the nearest zephyr.config.yaml). */
  readonly root?: string;
  /**
   * `development` turns the control socket and the dashboard on; `production` turns each on only
   * when asked (`socket: true`, a dashboard `token`). Default from `NODE_ENV`.
   */
  readonly mode?: 'development' | 'production';
  /** Whether to open the control socket (`zephyr repl`, `profile`, `heap`). */
  readonly socket?: boolean;
  /** The dashboard at `/_zephyr`: `false` off; `{ token }` on, refusing requests without it. */
  readonly dashboard?: false | { readonly token?: string };
  /** Where `NODE_ENV`, `XDG_RUNTIME_DIR` and `ZEPHYR_DEVTOOLS_TOKEN` are read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * How long one REPL input may run synchronously before it is interrupted with an error
   * (default {@link DEFAULT_REPL_TIMEOUT_MS}): a runaway loop must not stall the app.
   */
  readonly replTimeoutMs?: number;
}

/** Devtools attached to an app. */
export interface Devtools {
  /** The control socket's path, when it is open. */
  readonly socketPath: string | undefined;
  /** The dashboard's path on the app, when it is served. */
  readonly dashboardPath: string | undefined;
  /** Closes the control socket and stops sampling (the app's routes stay). */
  close(): Promise<void>;
}

/** The shortest dashboard token accepted: a guessable token would open the app's internals. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * Attaches Zephyr's devtools to an app: the control socket that `zephyr repl`, `zephyr profile`
 * and `zephyr heap` talk to (mode 0600, in the per-user runtime directory), and the dashboard at
 * `/_zephyr`. On by default in development; in production each is opt-in, and the dashboard
 * needs a token (`dashboard: { token }` or `ZEPHYR_DEVTOOLS_TOKEN`). Call it before `app.listen`.
 *
 * @example
 * ```ts
 * const devtools = await attachDevtools({ app, db, system, config });
 * await app.listen({ port: 3000 });
 * // elsewhere: `zephyr repl`, `zephyr profile cpu --seconds 5`, http://localhost:3000/_zephyr
 * ```
 */
export async function attachDevtools(options: AttachDevtoolsOptions): Promise<Devtools> {
  if (typeof options !== 'object' || options === null || typeof options.app?.get !== 'function')
    throw new InvalidArgumentError('attachDevtools needs { app } (an app from createApp(), before listen)');
  const env = options.env ?? process.env;
  const mode = options.mode ?? (env.NODE_ENV === 'production' ? 'production' : 'development');
  if (mode !== 'development' && mode !== 'production')
    throw new InvalidArgumentError(`mode must be 'development' or 'production', got ${String(mode)}`);
  const token =
    options.dashboard === false
      ? undefined
      : (options.dashboard?.token ?? env.ZEPHYR_DEVTOOLS_TOKEN ?? undefined);
  if (token !== undefined && (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH))
    throw new InvalidArgumentError(
      `the dashboard token must be a string of at least ${MIN_TOKEN_LENGTH} characters`,
    );
  const replTimeoutMs = options.replTimeoutMs ?? DEFAULT_REPL_TIMEOUT_MS;
  if (!Number.isInteger(replTimeoutMs) || replTimeoutMs <= 0)
    throw new InvalidArgumentError(
      `replTimeoutMs must be a positive integer of milliseconds, got ${String(options.replTimeoutMs)}`,
    );
  const dashboardOn = options.dashboard !== false && (mode === 'development' || token !== undefined);
  const socketOn = options.socket ?? mode === 'development';

  const { app } = options;
  const requests = new RequestMetrics();
  const sampler = new ProcessSampler();
  const inputs: DashboardInputs = {
    app,
    requests,
    sampler,
    system: options.system,
    pools: options.pools,
    db: options.db,
    migrations: options.migrations,
    traces: options.traces,
  };
  if (dashboardOn) {
    const started = new WeakMap<Context, number>();
    app.addHook('onRequest', (ctx) => {
      started.set(ctx, performance.now());
    });
    app.addHook('onResponse', (ctx) => {
      const start = started.get(ctx);
      if (start !== undefined && !ctx.routePath.startsWith(DASHBOARD_PATH))
        requests.record(performance.now() - start, ctx.res.status);
    });
    mountDashboard(app, inputs, token);
  }

  let server: ControlServer | undefined;
  if (socketOn) {
    const root = options.root ?? appRootOf(process.cwd());
    const scope: Record<string, unknown> = { app };
    if (options.db !== undefined) scope.db = options.db;
    if (options.system !== undefined) scope.system = options.system;
    if (options.config !== undefined) scope.config = options.config;
    Object.assign(scope, options.scope);
    const repl = new ReplEvaluator(scope, { timeoutMs: replTimeoutMs });
    server = await startControlServer(socketPathFor(root, process.pid, runtimeDir(env)), {
      hello: () => ({ pid: process.pid, root, node: process.version, scope: repl.names }),
      eval: (args) => {
        if (typeof args.code !== 'string') throw new InvalidArgumentError('eval needs a string "code"');
        return repl.evaluate(args.code, { colors: args.colors === true });
      },
      complete: (args) => {
        if (typeof args.line !== 'string') throw new InvalidArgumentError('complete needs a string "line"');
        return repl.complete(args.line);
      },
      'cpu-profile': (args, channel) => captureCpuProfile(profileSeconds(args.seconds), channel),
      'heap-snapshot': (_args, channel) => captureHeapSnapshot(channel),
      stats: () => dashboardSnapshot(inputs),
    });
  }
  return {
    socketPath: server?.path,
    dashboardPath: dashboardOn ? DASHBOARD_PATH : undefined,
    async close() {
      sampler.stop();
      await server?.close();
    },
  };
}
