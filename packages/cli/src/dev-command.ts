import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevServer } from '@zephyr/devtools';
import { listenOptionsFromConfig } from '@zephyr/server';
import { reportEngineFallback, selectEngine } from '@zephyr/uring';
import { DEFAULT_DEV_ENTRY } from './app-layout.js';
import { type CommandContext, UsageError } from './command.js';
import { loadZephyrConfig } from './config-sections.js';
import { parseCommandArgs } from './parse-command-args.js';

/** The module each generation of the app runs (see dev-generation.ts). */
const GENERATION_MODULE = fileURLToPath(new URL('./dev-generation.js', import.meta.url));

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new UsageError(`--port must be an integer in 0..65535, got "${text}"`);
  }
  return port;
}

/**
 * `zephyr dev [entry]`: serves the app from its TypeScript sources (tsx, no build step), watches
 * its directory and, on a change, starts a new generation beside the serving one and drains the
 * old one once the new one listens: no request fails during a reload. A change that does not
 * compile or throws at startup is printed with a code frame while the old generation serves on.
 * SIGINT or SIGTERM drain the serving generation and exit 0.
 */
export async function runDev(args: readonly string[], context: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    { port: { type: 'string' }, config: { type: 'string' } },
    1,
  );
  const port = values.port === undefined ? undefined : parsePort(values.port);
  const { config, file, root } = loadZephyrConfig(context.cwd, context.env, values.config);
  // A path typed on the command line is the shell's, relative to here; the default is the app's.
  const entry =
    positionals[0] === undefined ? resolve(root, DEFAULT_DEV_ENTRY) : resolve(context.cwd, positionals[0]);
  if (!existsSync(entry)) {
    throw new UsageError(`${entry} does not exist: pass the app's source entry, zephyr dev <entry>`);
  }
  const listen = listenOptionsFromConfig(config.server, config.performance);
  // Said once here; the generations inherit the environment that records it and stay quiet.
  reportEngineFallback(selectEngine(listen.engine ?? 'auto'));
  context.err(`zephyr dev: ${entry} (config ${file ?? 'defaults'}), watching ${root}\n`);
  const dev = await startDevServer({
    root,
    generationModule: GENERATION_MODULE,
    generationArgs: [entry, values.config === undefined ? '' : resolve(context.cwd, values.config)],
    port: port ?? listen.port ?? 3000,
    host: listen.host ?? '127.0.0.1',
    log: (line) => context.err(`${line}\n`),
  });
  return new Promise<number>((done) => {
    const stop = (signal: string): void => {
      context.err(`zephyr dev: ${signal}: draining\n`);
      void dev.close().then(() => {
        context.err('zephyr dev: stopped\n');
        done(0);
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
