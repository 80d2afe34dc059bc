import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { appConfig, appManifest, packageName, pnpmWorkspace } from './app-manifest.js';
import { CreateError, DIR_NOT_EMPTY } from './create-error.js';
import type { CreateOptions } from './create-options.js';
import { type DependencySources, registrySources, tarballSources } from './dependency-sources.js';
import { installDependencies } from './install-dependencies.js';
import { templateFiles } from './template-files.js';

/** Where the scaffold is at: called once per step, before the step runs. */
export type ProgressReporter = (step: number, total: number, text: string) => void;

/** What `scaffold` made. */
export interface ScaffoldResult {
  /** The app's absolute directory. */
  dir: string;
  /** Paths written, relative to `dir`. */
  files: string[];
  installed: boolean;
}

/** Whether `dir` exists and holds anything (a directory with only `.git` counts as empty). */
export function isNonEmptyDir(dir: string): boolean {
  if (!existsSync(dir)) return false;
  if (!statSync(dir).isDirectory()) return true;
  return readdirSync(dir).some((entry) => entry !== '.git');
}

/**
 * Writes a Zephyr app into `options.dir` and installs its dependencies: one progress line per step.
 * Everything that can be checked is checked before the first file is written (the directory, the
 * tarballs), so a refusal leaves nothing behind.
 *
 * @throws CreateError `ZEPHYR_ERR_CREATE_DIR_NOT_EMPTY`, `ZEPHYR_ERR_CREATE_TARBALL_MISSING`,
 *   `ZEPHYR_ERR_CREATE_INSTALL_FAILED`.
 */
export async function scaffold(
  options: CreateOptions,
  context: { cwd: string; env: Readonly<Record<string, string | undefined>> },
  progress: ProgressReporter,
): Promise<ScaffoldResult> {
  const dir = resolve(context.cwd, options.dir);
  const total = options.install ? 4 : 3;
  // Steps: check the directory, resolve the packages, write the files, install.
  progress(1, total, `checking ${dir}`);
  if (isNonEmptyDir(dir) && !options.force) {
    throw new CreateError(
      DIR_NOT_EMPTY,
      `${dir} is not empty: choose another directory, or pass --force to write into it (files of the same name are replaced)`,
    );
  }
  const sources: DependencySources =
    options.from !== undefined ? tarballSources(options.from, context.cwd) : registrySources();
  progress(2, total, `@zephyr/* packages from ${sources.description}`);
  const manifest = appManifest(options, sources, context.cwd);
  const run = options.pm === 'npm' ? 'npm run' : 'pnpm';
  const files = templateFiles(options.template, {
    name: packageName(options.dir, context.cwd),
    run,
    database:
      options.db === 'postgres'
        ? 'PostgreSQL, at the `database.url` of `zephyr.config.yaml` (create that database first)'
        : 'embedded PGlite, in `.zephyr/pglite` (no server needed)',
  });
  files.push({ path: 'package.json', text: `${JSON.stringify(manifest, null, 2)}\n` });
  files.push({ path: 'zephyr.config.yaml', text: appConfig(options, context.cwd) });
  if (options.pm === 'pnpm') files.push({ path: 'pnpm-workspace.yaml', text: pnpmWorkspace(sources) });

  progress(3, total, `writing the ${options.template} template (${files.length} files)`);
  for (const file of files) {
    const path = join(dir, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.text);
  }
  if (options.install) {
    progress(4, total, `installing dependencies with ${options.pm} (a minute or so the first time)`);
    await installDependencies(options.pm, dir, context.env, options.from === undefined);
  }
  return { dir, files: files.map((f) => f.path).sort(), installed: options.install };
}

/** The lines that tell a person what to run next. */
export function nextSteps(options: CreateOptions, result: ScaffoldResult, cwd: string): string {
  const run = options.pm === 'npm' ? 'npm run' : 'pnpm';
  const where = relative(cwd, result.dir) || '.';
  const steps = [
    ...(where === '.' ? [] : [`cd ${where.includes(' ') ? JSON.stringify(where) : where}`]),
    ...(result.installed ? [] : [`${options.pm} install`]),
    `${run} test`,
    `${run} dev     # http://127.0.0.1:3000/`,
  ];
  return `Next:\n${steps.map((s) => `  ${s}`).join('\n')}\n`;
}
