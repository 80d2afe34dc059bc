import { resolve } from 'node:path';
import * as prompts from '@clack/prompts';
import { CreateError, NEEDS_ANSWER } from './create-error.js';
import {
  type CreateArgs,
  type CreateOptions,
  type DatabaseKind,
  defaultOptions,
  type Engine,
  type PackageManager,
  type Template,
} from './create-options.js';
import { isNonEmptyDir } from './scaffold.js';

/** Where the options come from, besides the flags. */
export interface OptionSource {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** A person is at a terminal: ask them. */
  interactive: boolean;
}

/** The user pressed Ctrl-C or Escape at a prompt. */
export const CANCELLED = Symbol('cancelled');

/**
 * Completes the flags into full options: asks a person for each missing choice, or takes the
 * defaults with `--yes`. Without a terminal and without `--yes`, a missing choice is an error that
 * names the flags to pass.
 */
export async function resolveOptions(
  args: CreateArgs,
  source: OptionSource,
): Promise<CreateOptions | typeof CANCELLED> {
  const defaults = defaultOptions(source.env);
  const given = args.options;
  const needsDb = (template: Template) => template !== 'minimal';
  if (args.yes || !source.interactive) {
    const template = given.template ?? defaults.template;
    const missing = [
      given.dir === undefined && '<dir>',
      given.template === undefined && '--template',
      given.db === undefined && needsDb(template) && '--db',
      given.engine === undefined && '--engine',
    ].filter((m): m is string => m !== false);
    if (!args.yes && missing.length > 0) {
      throw new CreateError(
        NEEDS_ANSWER,
        `no terminal to ask on: pass ${missing.join(', ')}, or --yes for the defaults`,
      );
    }
    return { ...defaults, ...given, template, db: given.db ?? defaults.db };
  }

  prompts.intro('Create a Zephyr app');
  const ask = async <T>(value: Promise<T>): Promise<Exclude<T, symbol>> => {
    const answer = await value;
    if (prompts.isCancel(answer)) throw CANCELLED;
    return answer as Exclude<T, symbol>;
  };
  try {
    const dir =
      given.dir ??
      (await ask(
        prompts.text({
          message: 'Directory',
          placeholder: defaults.dir,
          defaultValue: defaults.dir,
          validate: (value) => {
            const dir = value?.trim() || defaults.dir;
            return isNonEmptyDir(resolve(source.cwd, dir)) && given.force !== true
              ? `${dir} is not empty: choose another (or pass --force)`
              : undefined;
          },
        }),
      ));
    const template =
      given.template ??
      (await ask(
        prompts.select<Template>({
          message: 'Template',
          initialValue: defaults.template,
          options: [
            { value: 'minimal', label: 'minimal', hint: 'one route and its test' },
            { value: 'api', label: 'api', hint: 'routes, zod, @zephyr/db with a migration, tests' },
            { value: 'full', label: 'full', hint: 'api + an actor (@zephyr/runtime)' },
          ],
        }),
      ));
    const db = needsDb(template)
      ? (given.db ??
        (await ask(
          prompts.select<DatabaseKind>({
            message: 'Database',
            initialValue: defaults.db,
            options: [
              { value: 'pglite', label: 'PGlite', hint: 'embedded, no server needed' },
              { value: 'postgres', label: 'PostgreSQL', hint: 'a server at database.url' },
            ],
          }),
        )))
      : defaults.db;
    const engine =
      given.engine ??
      (await ask(
        prompts.select<Engine>({
          message: 'I/O engine',
          initialValue: defaults.engine,
          options: [
            { value: 'auto', label: 'auto', hint: 'io_uring where the kernel allows it, else node' },
            { value: 'io_uring', label: 'io_uring', hint: 'Linux only; fails to start without it' },
            { value: 'node', label: 'node', hint: 'node:http everywhere' },
          ],
        }),
      ));
    const pm =
      given.pm ??
      (await ask(
        prompts.select<PackageManager>({
          message: 'Package manager',
          initialValue: defaults.pm,
          options: [
            { value: 'npm', label: 'npm' },
            { value: 'pnpm', label: 'pnpm' },
          ],
        }),
      ));
    return { ...defaults, ...given, dir: dir.trim() || defaults.dir, template, db, engine, pm };
  } catch (err) {
    if (err === CANCELLED) {
      prompts.cancel('Cancelled: nothing was written.');
      return CANCELLED;
    }
    throw err;
  }
}
