import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CreateError, TARBALL_MISSING } from './create-error.js';

/** How the app's package.json refers to each `@zephyr/*` package: a version range or a tarball. */
export interface DependencySources {
  /** The dependency spec for `name` (`^0.1.0`, or `file:/abs/zephyr-server-0.1.0.tgz`). */
  spec(name: string): string;
  /** With `--from`: every packed `@zephyr/*` tarball, so the package manager never asks a registry for one. */
  readonly overrides: Readonly<Record<string, string>>;
  /** Said in the progress line. */
  readonly description: string;
}

/**
 * The versions of Zephyr's own packages this build belongs with: written to dist/ at build time
 * (see scripts/), and found the same way from src/ when the tests run the sources.
 */
function builtVersions(): Record<string, string> {
  return JSON.parse(
    readFileSync(new URL('../dist/package-versions.json', import.meta.url), 'utf8'),
  ) as Record<string, string>;
}

/** The file name `pnpm pack` gives a package, without the version: `@zephyr/server` → `zephyr-server`. */
function tarballStem(name: string): string {
  return name.replace(/^@/, '').replace('/', '-');
}

/** Registry versions: `^<version>` of each `@zephyr/*` package as of this build. */
export function registrySources(): DependencySources {
  const versions = builtVersions();
  return {
    spec(name) {
      const version = versions[name];
      if (version === undefined) throw new Error(`create-zephyr was built without a version for ${name}`);
      return `^${version}`;
    },
    overrides: {},
    description: 'the npm registry',
  };
}

/**
 * Sources from a directory of `pnpm -r pack` tarballs: `@zephyr/server` is `zephyr-server-<version>.tgz`.
 * When a package is there in several versions, the highest wins.
 *
 * @throws CreateError `ZEPHYR_ERR_CREATE_TARBALL_MISSING` when the directory is unreadable or lacks a package.
 */
export function tarballSources(dir: string, cwd: string): DependencySources {
  const root = resolve(cwd, dir);
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch (err) {
    throw new CreateError(
      TARBALL_MISSING,
      `--from ${dir}: cannot read the directory (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
  const found = new Map<string, { version: number[]; file: string }>();
  for (const name of Object.keys(builtVersions())) {
    // `@zephyr/uring` must not match `zephyr-uring-linux-x64-gnu-…`: the version follows the name.
    const pattern = new RegExp(`^${tarballStem(name)}-(\\d+)\\.(\\d+)\\.(\\d+)(?:-[\\w.]+)?\\.tgz$`);
    for (const entry of entries) {
      const match = pattern.exec(entry);
      if (!match) continue;
      const version = match.slice(1, 4).map(Number);
      const current = found.get(name);
      if (!current || compareVersions(version, current.version) > 0) {
        found.set(name, { version, file: resolve(root, entry) });
      }
    }
  }
  const overrides = Object.fromEntries([...found].map(([name, { file }]) => [name, `file:${file}`]));
  return {
    spec(name) {
      const spec = overrides[name];
      if (spec === undefined) {
        throw new CreateError(
          TARBALL_MISSING,
          `--from ${dir}: no tarball for ${name} (expected ${tarballStem(name)}-<version>.tgz); ` +
            'pack them from a clone with: pnpm -r pack --pack-destination <dir>',
        );
      }
      return spec;
    },
    overrides,
    description: `the tarballs in ${root}`,
  };
}

function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}
