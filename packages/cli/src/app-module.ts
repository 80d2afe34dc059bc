import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { App } from '@zephyr/server';
import { UsageError } from './command.js';
import type { ZephyrConfig } from './config-sections.js';

/** What `zephyr start` hands the app's default export. */
export interface StartContext {
  /** The validated `zephyr.config.yaml` (with `ZEPHYR_*` overrides). */
  readonly config: ZephyrConfig;
  /** The app's root: the directory of its config file (or the working directory without one). */
  readonly root: string;
}

/** An app plus what to release after it has drained (database pools, actor systems). */
export interface StartedApp {
  readonly app: App;
  /** Called once after in-flight requests have finished on SIGTERM/SIGINT. */
  close?(): Promise<void> | void;
}

/**
 * The default export of the module `zephyr start` runs (`dist/app.js` unless `--entry`): an app, an
 * app with its `close`, or a function of the {@link StartContext} returning either.
 *
 * @example
 * ```ts
 * export default async function start({ config }: StartContext): Promise<StartedApp> {
 *   const db = openDatabase(schema, config.database);
 *   return { app: buildApp(db), close: () => db.destroy() };
 * }
 * ```
 */
export type AppEntry =
  | App
  | StartedApp
  | ((context: StartContext) => App | StartedApp | Promise<App | StartedApp>);

function isApp(value: unknown): value is App {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as App).listen === 'function' &&
    typeof (value as App).handle === 'function'
  );
}

/** Imports the built entry module and turns its default export into a {@link StartedApp}. */
export async function loadAppEntry(entry: string, context: StartContext): Promise<StartedApp> {
  const file = resolve(context.root, entry);
  if (!existsSync(file)) {
    throw new UsageError(
      `${file} does not exist: build the app first (npm run build), or pass --entry <file>`,
    );
  }
  const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  let value = module.default;
  if (typeof value === 'function') value = await (value as (c: StartContext) => unknown)(context);
  if (isApp(value)) return { app: value };
  if (typeof value === 'object' && value !== null && isApp((value as StartedApp).app))
    return value as StartedApp;
  throw new UsageError(
    `${file}: the default export must be an App (createApp()), { app, close? }, or a function returning one`,
  );
}
