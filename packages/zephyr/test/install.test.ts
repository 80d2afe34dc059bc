// Installs the packed tarballs with plain npm into fresh directories outside the workspace, the
// way a user installs them, and imports each: proof that every package installs alone and that
// the meta-package brings the rest.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'zephyr-install-'));
const tarballs = join(work, 'tarballs');
const packed = new Map<string, string>();

function pnpm(args: string[]): void {
  // Under `pnpm run`, npm_execpath is the pnpm that runs us: a JS entry to run with node, or (pnpm
  // 11+) a native executable. Outside pnpm, fetch the pinned one.
  const execpath = process.env.npm_execpath;
  const [cmd, ...pre] = !execpath?.includes('pnpm')
    ? ['npx', '-y', 'pnpm@12.4.2']
    : /\.[cm]?js$/.test(execpath)
      ? [process.execPath, execpath]
      : [execpath];
  execFileSync(cmd!, [...pre, ...args], { cwd: root, stdio: 'pipe' });
}

function install(name: string, packages: string[]): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: `try-${name}`, private: true, type: 'module' }),
  );
  const files = packages.map((pkg) => {
    const file = packed.get(pkg);
    if (!file) throw new Error(`${pkg} was not packed`);
    return file;
  });
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files], {
    cwd: dir,
    stdio: 'pipe',
  });
  return dir;
}

function run(dir: string, script: string): unknown {
  writeFileSync(join(dir, 'check.mjs'), script);
  return JSON.parse(execFileSync(process.execPath, ['check.mjs'], { cwd: dir, encoding: 'utf8' }));
}

function installed(dir: string): string[] {
  const scope = join(dir, 'node_modules', '@zephyr');
  const scoped = existsSync(scope) ? readdirSync(scope).map((name) => `@zephyr/${name}`) : [];
  return [...scoped, ...(existsSync(join(dir, 'node_modules', 'zephyr')) ? ['zephyr'] : [])].sort();
}

beforeAll(() => {
  pnpm(['-r', '--filter', './packages/**', 'pack', '--pack-destination', tarballs]);
  for (const file of readdirSync(tarballs)) {
    // zephyr-uring-linux-x64-gnu-0.1.0.tgz → @zephyr/uring-linux-x64-gnu
    const match = /^(zephyr-)?(.+)-\d+\.\d+\.\d+.*\.tgz$/.exec(file);
    if (match) packed.set(match[1] ? `@zephyr/${match[2]}` : match[2]!, join(tarballs, file));
  }
}, 120_000);

describe('installing from the packed tarballs with npm', () => {
  it('ships the native binary in the per-platform package, not in @zephyr/uring itself', () => {
    const list = (pkg: string) => execFileSync('tar', ['-tzf', packed.get(pkg)!], { encoding: 'utf8' });
    expect(list('@zephyr/uring-linux-x64-gnu')).toContain('package/zephyr-uring.linux-x64-gnu.node');
    expect(list('@zephyr/uring')).not.toMatch(/\.node$/m);
    expect(list('@zephyr/uring')).toContain('package/native.cjs');
  });

  it('installs @zephyr/uring alone and really probes io_uring', () => {
    const dir = install('uring', ['@zephyr/uring', '@zephyr/uring-linux-x64-gnu']);
    expect(installed(dir)).toEqual(['@zephyr/uring', '@zephyr/uring-linux-x64-gnu']);
    const probe = run(
      dir,
      "import { ioUringSupported } from '@zephyr/uring'; console.log(JSON.stringify(ioUringSupported()));",
    );
    expect(probe).toMatchObject({ supported: true });
  }, 120_000);

  it('installs @zephyr/server with only what it depends on', () => {
    const dir = install('server', [
      '@zephyr/server',
      '@zephyr/config',
      '@zephyr/uring',
      '@zephyr/uring-linux-x64-gnu',
    ]);
    expect(installed(dir)).toEqual([
      '@zephyr/config',
      '@zephyr/server',
      '@zephyr/uring',
      '@zephyr/uring-linux-x64-gnu',
    ]);
    const keys = run(
      dir,
      "import * as server from '@zephyr/server'; console.log(JSON.stringify(Object.keys(server)));",
    );
    expect(keys).toContain('serverConfigSchema');
  }, 120_000);

  it('installs the zephyr meta-package and loads the seed configuration through it', () => {
    const dir = install(
      'meta',
      [...packed.keys()].filter((pkg) => pkg !== '@zephyr/cli'),
    );
    const config = run(
      dir,
      [
        "import { writeFileSync } from 'node:fs';",
        "import { loadConfig, ioUringSupported } from 'zephyr';",
        "writeFileSync('zephyr.config.yaml', 'server:\\n  workers: auto\\n  io_engine: io_uring\\nruntime:\\n  memory_pool_size: 64MB\\n');",
        'console.log(JSON.stringify({ config: loadConfig({ env: {} }), probe: ioUringSupported().supported }));',
      ].join('\n'),
    );
    expect(config).toMatchObject({
      config: {
        server: { workers: 'auto', io_engine: 'io_uring' },
        runtime: { memory_pool_size: 64 * 1024 * 1024 },
      },
      probe: true,
    });
  }, 180_000);
});
