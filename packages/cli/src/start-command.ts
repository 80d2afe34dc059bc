import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { attachDevtools, type Devtools, devtoolsOptionsFromConfig } from '@zephyr/devtools';
import { listenOptionsFromConfig } from '@zephyr/server';
import { DEFAULT_ENTRY } from './app-layout.js';
import { loadAppEntry } from './app-module.js';
import type { CommandContext } from './command.js';
import { loadZephyrConfig } from './config-sections.js';
import { parseCommandArgs } from './parse-command-args.js';

/**
 * `zephyr start`: serves the built app with the workers, engine, port and limits of
 * zephyr.config.yaml. One worker serves in this process; more are forked by `app.listen`'s
 * node:cluster model (each re-runs `zephyr start`). SIGTERM or SIGINT drain in-flight requests
 * for `server.shutdown_timeout_ms`, then the app's `close` runs and the process exits 0.
 */
export async function runStart(args: readonly string[], context: CommandContext): Promise<number> {
  const { values } = parseCommandArgs(args, { entry: { type: 'string' }, config: { type: 'string' } }, 0);
  const { config, file, root } = loadZephyrConfig(context.cwd, context.env, values.config);
  const { workers, ...listen } = listenOptionsFromConfig(config.server, config.performance);
  const count = workers === 'auto' ? availableParallelism() : (workers ?? 1);
  const { app, close } = await loadAppEntry(values.entry ?? DEFAULT_ENTRY, { config, root });
  // The `devtools:` section attaches them here, in each process that serves (not a primary of
  // workers): the app does not have to call attachDevtools itself.
  const devtoolsOptions = devtoolsOptionsFromConfig(config.devtools);
  let devtools: Devtools | undefined;
  if (devtoolsOptions && (count === 1 || cluster.isWorker)) {
    devtools = await attachDevtools({ ...devtoolsOptions, app, config, root });
    if (devtools.socketPath !== undefined)
      context.err(`zephyr start: devtools control socket ${devtools.socketPath} (pid ${process.pid})\n`);
  }

  if (count > 1) {
    // node:cluster re-runs this command in each worker; the server drains workers on SIGTERM.
    let server: Awaited<ReturnType<typeof app.listen>>;
    try {
      server = await app.listen({ ...listen, workers: count });
    } catch (err) {
      // The workers have printed their own reasons above (they share this terminal).
      context.err(`zephyr start: the workers did not start: ${(err as Error).message}\n`);
      return 1;
    }
    if (server.role === 'primary') {
      context.err(
        `zephyr start: listening on http://${server.host}:${server.port}/ (engine ${server.engine}, ${count} workers, config ${file ?? 'defaults'})\n`,
      );
    }
    return new Promise<number>(() => {});
  }

  const server = await app.listen(listen);
  context.err(
    `zephyr start: listening on http://${server.host}:${server.port}/ (engine ${server.engine}: ${server.engineReason}; 1 process; config ${file ?? 'defaults'})\n`,
  );
  return new Promise<number>((resolve) => {
    const drain = async (signal: string): Promise<void> => {
      context.err(
        `zephyr start: ${signal}: draining in-flight requests (up to ${listen.shutdownTimeoutMs} ms)\n`,
      );
      let code = 0;
      try {
        await server.close();
        await devtools?.close();
        await close?.();
      } catch (err) {
        context.err(`zephyr start: shutdown failed: ${(err as Error).stack ?? String(err)}\n`);
        code = 1;
      }
      context.err('zephyr start: stopped\n');
      resolve(code);
    };
    process.once('SIGTERM', () => void drain('SIGTERM'));
    process.once('SIGINT', () => void drain('SIGINT'));
  });
}
