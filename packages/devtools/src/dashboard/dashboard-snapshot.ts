import type { App } from '@zephyr/server';
import type {
  DevtoolsActorPool,
  DevtoolsActorSystem,
  DevtoolsChildInfo,
  DevtoolsDatabase,
  DevtoolsMigrations,
  DevtoolsSupervisor,
  DevtoolsTrace,
} from './dashboard-sources.js';
import type { ProcessSample, ProcessSampler } from './process-sampler.js';
import type { RequestMetrics, RequestStats } from './request-metrics.js';

/** Traces the dashboard shows (the newest). */
const TRACES_SHOWN = 15;
/** Deepest supervisor nesting walked, so a pathological tree cannot stall the page. */
const MAX_TREE_DEPTH = 16;

/** A node of the actor tree as the dashboard shows it. */
export interface ActorTreeNode extends DevtoolsChildInfo {
  readonly children?: readonly ActorTreeNode[];
}

/** Everything the dashboard page shows, as `GET /_zephyr/api/stats` returns it. */
export interface DashboardSnapshot {
  readonly pid: number;
  readonly uptimeSeconds: number;
  readonly routes: readonly { readonly method: string; readonly path: string }[];
  readonly requests: RequestStats;
  readonly traces: readonly DevtoolsTrace[] | null;
  readonly actors: {
    readonly tree: readonly ActorTreeNode[];
    readonly pools: readonly ReturnType<DevtoolsActorPool['stats']>[];
    readonly deadLetters: number | undefined;
  } | null;
  readonly database: {
    readonly pool: object | null;
    readonly migrations: readonly { name: string; state: string; appliedAt: string | null }[] | null;
    readonly migrationsError?: string;
  } | null;
  readonly process: readonly ProcessSample[];
}

/** Where the snapshot reads from. */
export interface DashboardInputs {
  readonly app: App;
  readonly requests: RequestMetrics;
  readonly sampler: ProcessSampler;
  readonly system?: DevtoolsActorSystem | undefined;
  readonly pools?: readonly DevtoolsActorPool[] | undefined;
  readonly db?: DevtoolsDatabase | undefined;
  readonly migrations?: DevtoolsMigrations | undefined;
  readonly traces?: (() => readonly DevtoolsTrace[] | undefined) | undefined;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'options', 'head'];

const routeTables = new WeakMap<App, { method: string; path: string }[]>();

/**
 * The app's routes, from its OpenAPI document (every route is in it, with or without schemas);
 * read once, since routes are fixed once the app serves.
 */
export function routeTable(app: App): { method: string; path: string }[] {
  const known = routeTables.get(app);
  if (known !== undefined) return known;
  const paths = app.openApiDocument().paths ?? {};
  const rows: { method: string; path: string }[] = [];
  for (const [path, item] of Object.entries(paths)) {
    for (const method of Object.keys(item as object))
      if (METHODS.includes(method)) rows.push({ method: method.toUpperCase(), path });
  }
  routeTables.set(app, rows);
  return rows;
}

function tree(supervisor: DevtoolsSupervisor, depth: number): ActorTreeNode[] {
  return supervisor.children().map((child) => {
    const nested =
      child.type === 'supervisor' && depth < MAX_TREE_DEPTH ? supervisor.supervisor(child.id) : undefined;
    return nested === undefined ? { ...child } : { ...child, children: tree(nested, depth + 1) };
  });
}

/** Reads every source once. A source that throws shows as an error, never breaks the page. */
export async function dashboardSnapshot(inputs: DashboardInputs): Promise<DashboardSnapshot> {
  let database: DashboardSnapshot['database'] = null;
  if (inputs.db !== undefined || inputs.migrations !== undefined) {
    let migrations: { name: string; state: string; appliedAt: string | null }[] | null = null;
    let migrationsError: string | undefined;
    if (inputs.migrations !== undefined) {
      try {
        migrations = (await inputs.migrations.status()).map((m) => ({
          name: m.name,
          state: m.state,
          appliedAt: m.appliedAt?.toISOString() ?? null,
        }));
      } catch (err) {
        migrationsError = (err as Error).message;
      }
    }
    database = {
      pool: inputs.db?.poolMetrics?.() ?? null,
      migrations,
      ...(migrationsError !== undefined ? { migrationsError } : {}),
    };
  }
  const system = inputs.system;
  return {
    pid: process.pid,
    uptimeSeconds: Math.round(process.uptime()),
    routes: routeTable(inputs.app),
    requests: inputs.requests.stats(),
    traces: inputs.traces?.()?.slice(0, TRACES_SHOWN) ?? null,
    actors:
      system === undefined && inputs.pools === undefined
        ? null
        : {
            tree: system === undefined ? [] : tree(system.rootSupervisor, 0),
            pools: (inputs.pools ?? []).map((p) => p.stats()),
            deadLetters: system?.deadLetterCount,
          },
    database,
    process: inputs.sampler.samples(),
  };
}
