import { basename, resolve } from 'node:path';
import type { CreateOptions } from './create-options.js';
import type { DependencySources } from './dependency-sources.js';

// Tooling of the generated app, from the public registry (not Zephyr's own packages).
const TOOLING = { '@types/node': '^20.19.0', typescript: '^5.9.3', vitest: '^4.1.12' } as const;
const ZOD = '^4.6.7';

/** The `@zephyr/*` packages each template imports. */
const ZEPHYR_PACKAGES: Record<CreateOptions['template'], readonly string[]> = {
  minimal: ['@zephyr/cli', '@zephyr/server'],
  api: ['@zephyr/cli', '@zephyr/db', '@zephyr/server'],
  full: ['@zephyr/cli', '@zephyr/db', '@zephyr/runtime', '@zephyr/server'],
};

/** An npm package name from the app's directory (`.` is the working directory's name): lower case, URL-safe. */
export function packageName(dir: string, cwd: string): string {
  const base = basename(resolve(cwd, dir));
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+/, '');
  return name === '' ? 'zephyr-app' : name;
}

/** The generated app's package.json. */
export function appManifest(
  options: CreateOptions,
  sources: DependencySources,
  cwd: string,
): Record<string, unknown> {
  const hasDb = options.template !== 'minimal';
  const build = 'tsc -p tsconfig.build.json';
  const dependencies: Record<string, string> = {};
  for (const name of ZEPHYR_PACKAGES[options.template]) dependencies[name] = sources.spec(name);
  if (hasDb) dependencies.zod = ZOD;
  const manifest: Record<string, unknown> = {
    name: packageName(options.dir, cwd),
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '>=20.18' },
    scripts: {
      build,
      start: 'zephyr start',
      // zephyr dev serves src/ as it is (tsx) and reloads it on each save.
      dev: hasDb ? `${build} && zephyr db migrate && zephyr dev` : 'zephyr dev',
      test: 'vitest run',
      typecheck: 'tsc -p tsconfig.json',
      ...(hasDb
        ? { 'db:generate': `${build} && zephyr db generate`, 'db:migrate': `${build} && zephyr db migrate` }
        : {}),
    },
    dependencies: sortKeys(dependencies),
    devDependencies: { ...TOOLING },
  };
  // npm reads `overrides`; pnpm reads them from pnpm-workspace.yaml (see scaffold). Overriding every
  // packed @zephyr package keeps the registry out of the install of Zephyr's own packages entirely.
  if (options.pm === 'npm' && Object.keys(sources.overrides).length > 0)
    manifest.overrides = sources.overrides;
  return manifest;
}

/** The generated app's zephyr.config.yaml. */
export function appConfig(options: CreateOptions, cwd: string): string {
  const lines = [
    '# Every key has a default; override any of them from the environment, e.g. ZEPHYR_SERVER__PORT=8080.',
    '# `npx zephyr config` checks this file and prints the resolved configuration.',
    'server:',
    '  port: 3000',
    '  # One process per worker. PGlite is embedded in one process: more workers need PostgreSQL.',
    '  workers: 1',
    `  io_engine: ${options.engine} # auto: io_uring where the kernel allows it, else node`,
    '  shutdown_timeout_ms: 10000 # how long SIGTERM waits for in-flight requests',
    '  limits:',
    '    max_body_size: 1MB',
  ];
  if (options.template !== 'minimal') {
    lines.push('database:');
    if (options.db === 'postgres') {
      lines.push(
        `  url: postgres://postgres@127.0.0.1:5432/${packageName(options.dir, cwd).replace(/[^a-z0-9_]/g, '_')}`,
      );
      lines.push('  pool: { max: 10, queue: 100, acquire_timeout_ms: 5000 }');
    } else {
      lines.push(
        '  # No url: embedded PGlite in .zephyr/pglite. Set url (or ZEPHYR_DATABASE__URL) for PostgreSQL.',
      );
      lines.push('  pool: { max: 10, queue: 100, acquire_timeout_ms: 5000 }');
    }
  }
  if (options.template === 'full') {
    lines.push('runtime:', '  actor_threads: 0 # 0: actors on the main thread', '  supervisor_mode: local');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * pnpm's settings live in pnpm-workspace.yaml: the overrides, and which dependencies may run
 * install scripts. pnpm refuses an install with an unapproved one; esbuild (under `zephyr dev`'s
 * tsx) has one that only re-checks the binary its `@esbuild/<platform>` package already brings.
 */
export function pnpmWorkspace(sources: DependencySources): string {
  const entries = Object.entries(sources.overrides);
  const overrides =
    entries.length === 0
      ? ''
      : `overrides:\n${entries.map(([name, spec]) => `  '${name}': '${spec}'`).join('\n')}\n`;
  return `${overrides}allowBuilds:\n  esbuild: false\n`;
}

function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
