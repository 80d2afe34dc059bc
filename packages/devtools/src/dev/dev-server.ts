import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:net';
import { type ChangeWatcher, DEFAULT_DEBOUNCE_MS, watchChanges } from './change-watcher.js';
import {
  DEV_GENERATION_ENV,
  DEV_HOST_ENV,
  DEV_PORT_ENV,
  DEV_ROOT_ENV,
  isFailedMessage,
  isReadyMessage,
  isStoppedAcceptingMessage,
} from './generation-messages.js';

/** After this long, a reload still starting prints that it is still at it. */
const PROGRESS_AFTER_MS = 1_000;
/** A generation that reported a failure but has not exited by then is killed. */
const FAILED_EXIT_GRACE_MS = 2_000;

/** Options of {@link startDevServer}. */
export interface DevServerOptions {
  /** The directory watched for changes (the app's root). */
  readonly root: string;
  /** The module each generation runs: it calls {@link serveGeneration}. */
  readonly generationModule: string;
  /** Arguments passed to `generationModule` (its `process.argv.slice(2)`). */
  readonly generationArgs?: readonly string[];
  /** Port every generation listens on; 0 picks a free one once (default 3000). */
  readonly port?: number;
  /** Address to bind (default `127.0.0.1`). */
  readonly host?: string;
  /** Quiet time after the last change before a reload (default 100 ms). */
  readonly debounceMs?: number;
  /** Where status lines go (one per reload). */
  readonly log: (line: string) => void;
}

/** The outcome of one reload. */
export type ReloadResult =
  | { readonly ok: true; readonly generation: number; readonly ms: number }
  | { readonly ok: false; readonly generation: number; readonly report: string };

/** A running `zephyr dev`. */
export interface DevServer {
  readonly host: string;
  readonly port: number;
  /** The engine of the generation serving now (`undefined` while none is). */
  readonly engine: string | undefined;
  /** Whether a generation is serving (false after the first one failed to load, until a fix). */
  readonly serving: boolean;
  /** Starts a new generation now, as a change of `files` would. */
  reload(files: readonly string[]): Promise<ReloadResult>;
  /** Stops watching, drains the serving generation and resolves when it has exited. */
  close(): Promise<void>;
}

interface Generation {
  readonly number: number;
  readonly worker: Worker;
  readonly exited: Promise<void>;
  engine: string;
  retired: boolean;
}

/** How a reload's trigger reads in a status line: `src/a.ts`, `src/a.ts +2 more`. */
function describeFiles(files: readonly string[]): string {
  if (files.length === 0) return 'start';
  return files.length === 1 ? files[0]! : `${files[0]} +${files.length - 1} more`;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs an app under `zephyr dev`: this process is a node:cluster primary that serves nothing
 * itself; each generation of the app is a worker running `generationModule`. On a change under
 * `root` a new generation starts beside the serving one; once it listens, the old one hands its
 * connections over and drains, so no request fails during a reload. A generation that fails to
 * load leaves the old one serving. One status line per reload goes to `log`.
 *
 * @example
 * ```ts
 * const dev = await startDevServer({
 *   root: '/path/to/app',
 *   generationModule: '/path/to/generation.js', // calls serveGeneration(load)
 *   port: 3000,
 *   log: (line) => process.stderr.write(`${line}\n`),
 * });
 * ```
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  if (!cluster.isPrimary) throw new Error('startDevServer runs in a cluster primary');
  const host = options.host ?? '127.0.0.1';
  const port = options.port === 0 ? await freePort(host) : (options.port ?? 3000);
  const { log } = options;
  cluster.setupPrimary({ exec: options.generationModule, args: [...(options.generationArgs ?? [])] });

  let serving: Generation | undefined;
  let count = 0;
  let closed = false;

  const startGeneration = (files: readonly string[]): Promise<ReloadResult & { gen?: Generation }> => {
    const number = ++count;
    const started = performance.now();
    const worker = cluster.fork({
      [DEV_PORT_ENV]: String(port),
      [DEV_HOST_ENV]: host,
      [DEV_ROOT_ENV]: options.root,
      [DEV_GENERATION_ENV]: String(number),
    });
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    // A send racing the worker's exit surfaces here; the exit itself is handled below.
    worker.on('error', () => {});
    const gen: Generation = { number, worker, exited, engine: '', retired: false };
    const what = files.length > 0 ? `generation ${number} (${describeFiles(files)})` : 'the app';
    const progress = setTimeout(
      () => log(`⋯ starting ${what}: compiling and loading its modules…`),
      PROGRESS_AFTER_MS,
    );
    return new Promise((resolve) => {
      let settled = false;
      const settle = (result: ReloadResult & { gen?: Generation }) => {
        if (settled) return;
        settled = true;
        clearTimeout(progress);
        resolve(result);
      };
      worker.on('message', (message: unknown) => {
        if (isStoppedAcceptingMessage(message)) {
          if (worker.isConnected()) worker.send(message, undefined, () => {});
          return;
        }
        if (isReadyMessage(message)) {
          gen.engine = message.engine;
          settle({ ok: true, generation: number, ms: Math.round(performance.now() - started), gen });
        } else if (isFailedMessage(message)) {
          settle({ ok: false, generation: number, report: message.report });
          setTimeout(() => worker.process.kill('SIGKILL'), FAILED_EXIT_GRACE_MS).unref();
        }
      });
      worker.once('exit', (code, signal) => {
        settle({
          ok: false,
          generation: number,
          report: `the app's process exited while starting (code ${code}, signal ${signal})`,
        });
        if (serving === gen && !gen.retired && !closed) {
          serving = undefined;
          log(`✗ the app exited (code ${code}, signal ${signal}); save a change to start it again`);
        }
      });
    });
  };

  const retire = (gen: Generation): void => {
    gen.retired = true;
    if (gen.worker.isConnected()) gen.worker.send({ type: 'zephyr-dev:drain' }, undefined, () => {});
    else gen.worker.process.kill('SIGTERM');
  };

  const reloadNow = async (files: readonly string[]): Promise<ReloadResult> => {
    const result = await startGeneration(files);
    if (result.ok && result.gen) {
      const old = serving;
      serving = result.gen;
      if (old) retire(old);
      log(
        old
          ? `↻ reloaded in ${result.ms} ms (${describeFiles(files)})`
          : `zephyr dev: serving on http://${host}:${port}/ (engine ${result.gen.engine}, started in ${result.ms} ms)`,
      );
      return { ok: true, generation: result.generation, ms: result.ms };
    }
    const keeps = serving ? `generation ${serving.number} keeps serving` : 'waiting for a change';
    const report = result.ok ? '' : result.report;
    const what = files.length > 0 ? `reload failed (${describeFiles(files)})` : 'the app did not start';
    log(`✗ ${what}; ${keeps}\n${report}`);
    return { ok: false, generation: result.generation, report };
  };

  // One reload at a time: changes that arrive while one runs are gathered into the next one.
  let chain: Promise<unknown> = Promise.resolve();
  let nextFiles: Set<string> | undefined;
  let nextReload: Promise<ReloadResult> | undefined;
  const reload = (files: readonly string[]): Promise<ReloadResult> => {
    if (nextFiles && nextReload) {
      for (const file of files) nextFiles.add(file);
      return nextReload;
    }
    const gathered = new Set(files);
    nextFiles = gathered;
    nextReload = chain.then(() => {
      nextFiles = undefined;
      nextReload = undefined;
      return reloadNow([...gathered].sort());
    });
    chain = nextReload;
    return nextReload;
  };

  const watcher: ChangeWatcher = watchChanges(
    options.root,
    (files) => {
      if (!closed) void reload(files);
    },
    options.debounceMs ?? DEFAULT_DEBOUNCE_MS,
  );
  await watcher.ready;
  await reload([]);

  return {
    host,
    port,
    get engine() {
      return serving?.engine;
    },
    get serving() {
      return serving !== undefined;
    },
    reload,
    close: async () => {
      closed = true;
      await watcher.close();
      await chain;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      if (serving) retire(serving);
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) resolve();
              else w.once('exit', () => resolve());
            }),
        ),
      );
    },
  };
}
