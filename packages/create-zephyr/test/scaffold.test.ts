import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CreateContext, runCreate, TEMPLATES } from '../src/index.js';

function context(cwd: string, interactive = false) {
  let out = '';
  let err = '';
  const ctx: CreateContext = {
    cwd,
    env: {},
    interactive,
    out: (text) => (out += text),
    err: (text) => (err += text),
  };
  return { ctx, out: () => out, err: () => err };
}

function packDir(names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'zephyr-fake-packs-'));
  for (const name of names) writeFileSync(join(dir, name), '');
  return dir;
}

const ALL_PACKS = [
  'zephyr-cli-0.1.0.tgz',
  'zephyr-config-0.1.0.tgz',
  'zephyr-db-0.1.0.tgz',
  'zephyr-runtime-0.1.0.tgz',
  'zephyr-server-0.1.0.tgz',
  'zephyr-uring-0.1.0.tgz',
  'zephyr-uring-0.0.9.tgz',
  'zephyr-uring-linux-x64-gnu-0.1.0.tgz',
  'create-zephyr-0.1.0.tgz',
  'zephyr-0.1.0.tgz',
];

describe('scaffold (files only)', () => {
  it.each(TEMPLATES)(
    'writes the %s template with every placeholder filled and a progress line per step',
    async (template) => {
      const cwd = mkdtempSync(join(tmpdir(), 'zephyr-create-'));
      const { ctx, out } = context(cwd);
      const packs = packDir(ALL_PACKS);
      const code = await runCreate(
        ['my-app', '--template', template, '--yes', '--no-install', '--from', packs],
        ctx,
      );
      expect(code).toBe(0);
      expect(out()).toMatch(
        /\[1\/3\] checking .*\n\[2\/3\] @zephyr\/\* packages from the tarballs in .*\n\[3\/3\] writing the/,
      );
      const app = join(cwd, 'my-app');
      const files = readdirSync(app, { recursive: true }) as string[];
      expect(files).toEqual(
        expect.arrayContaining([
          'package.json',
          'zephyr.config.yaml',
          '.gitignore',
          'README.md',
          'tsconfig.json',
          'src/app.ts',
          'test/app.test.ts',
        ]),
      );
      for (const file of files.filter((f) => /\.(ts|md|json|yaml)$/.test(f)))
        expect(readFileSync(join(app, file), 'utf8')).not.toContain('{{');
      const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
      expect(manifest.name).toBe('my-app');
      expect(manifest.scripts).toMatchObject({
        dev:
          template === 'minimal'
            ? 'zephyr dev'
            : expect.stringMatching(/&& zephyr db migrate && zephyr dev$/),
        start: 'zephyr start',
        test: 'vitest run',
      });
      // Never the unscoped `zephyr` name: on the registry it is someone else's package.
      expect(Object.keys(manifest.dependencies)).not.toContain('zephyr');
      expect(Object.keys(manifest.overrides)).not.toContain('zephyr');
      // The highest version of a package packed twice, and the platform binary, come from the tarballs.
      expect(manifest.overrides['@zephyr/uring']).toBe(`file:${join(packs, 'zephyr-uring-0.1.0.tgz')}`);
      expect(manifest.overrides['@zephyr/uring-linux-x64-gnu']).toMatch(
        /^file:.*linux-x64-gnu-0\.1\.0\.tgz$/,
      );
      if (template === 'minimal') {
        expect(manifest.scripts['db:migrate']).toBeUndefined();
        expect(existsSync(join(app, 'migrations'))).toBe(false);
      } else {
        expect(manifest.scripts).toMatchObject({
          'db:generate': expect.any(String),
          'db:migrate': expect.any(String),
        });
        expect(manifest.dependencies).toHaveProperty('zod');
        expect(readdirSync(join(app, 'migrations'))).toHaveLength(1);
      }
    },
  );

  it('writes the choices into zephyr.config.yaml, and pnpm overrides into pnpm-workspace.yaml', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'zephyr-create-'));
    const { ctx } = context(cwd);
    const args = ['pg', '--template', 'full', '--db', 'postgres', '--engine', 'node', '--pm', 'pnpm'];
    await runCreate([...args, '--no-install', '--from', packDir(ALL_PACKS)], ctx);
    const config = readFileSync(join(cwd, 'pg', 'zephyr.config.yaml'), 'utf8');
    expect(config).toContain('io_engine: node');
    expect(config).toContain('url: postgres://postgres@127.0.0.1:5432/pg');
    expect(config).toContain('runtime:');
    expect(readFileSync(join(cwd, 'pg', 'pnpm-workspace.yaml'), 'utf8')).toMatch(
      /^overrides:\n {2}'@zephyr\/cli': 'file:/,
    );
    // pnpm refuses an install with an unapproved install script: esbuild's (under tsx) is declined.
    expect(readFileSync(join(cwd, 'pg', 'pnpm-workspace.yaml'), 'utf8')).toMatch(
      /\nallowBuilds:\n {2}esbuild: false\n$/,
    );
    expect(JSON.parse(readFileSync(join(cwd, 'pg', 'package.json'), 'utf8')).overrides).toBeUndefined();
  });

  it('without --from, asks for the versions this build belongs with, by scoped name only', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'zephyr-create-'));
    const { ctx } = context(cwd);
    await runCreate(['reg', '--template', 'api', '--yes', '--no-install'], ctx);
    const manifest = JSON.parse(readFileSync(join(cwd, 'reg', 'package.json'), 'utf8'));
    const versions = JSON.parse(
      readFileSync(new URL('../dist/package-versions.json', import.meta.url), 'utf8'),
    );
    expect(manifest.dependencies['@zephyr/server']).toBe(`^${versions['@zephyr/server']}`);
    expect(manifest.dependencies['@zephyr/db']).toBe(`^${versions['@zephyr/db']}`);
    expect(manifest.overrides).toBeUndefined();
    expect(Object.keys(manifest.dependencies).filter((name) => name.startsWith('zephyr'))).toEqual([]);
  });

  it('names the app after the directory, also when it is "."', async () => {
    const cwd = join(mkdtempSync(join(tmpdir(), 'zephyr-create-')), 'My Service');
    mkdirSync(cwd);
    const { ctx } = context(cwd);
    await runCreate(
      ['.', '--template', 'minimal', '--yes', '--no-install', '--from', packDir(ALL_PACKS)],
      ctx,
    );
    expect(JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')).name).toBe('my-service');
  });

  it('refuses a non-empty directory without --force, writing nothing', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'zephyr-create-'));
    mkdirSync(join(cwd, 'taken'));
    writeFileSync(join(cwd, 'taken', 'notes.txt'), 'mine');
    const { ctx } = context(cwd);
    await expect(
      runCreate(['taken', '--yes', '--no-install', '--from', packDir(ALL_PACKS)], ctx),
    ).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_CREATE_DIR_NOT_EMPTY',
      message: expect.stringContaining('is not empty: choose another directory, or pass --force'),
    });
    expect(readdirSync(join(cwd, 'taken'))).toEqual(['notes.txt']);
    await runCreate(['taken', '--yes', '--no-install', '--force', '--from', packDir(ALL_PACKS)], ctx);
    expect(readdirSync(join(cwd, 'taken'))).toContain('package.json');
    expect(readFileSync(join(cwd, 'taken', 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('names the tarball --from lacks, before writing anything', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'zephyr-create-'));
    const { ctx } = context(cwd);
    const packs = packDir(ALL_PACKS.filter((name) => !name.startsWith('zephyr-db-')));
    await expect(
      runCreate(['app', '--template', 'api', '--yes', '--from', packs], ctx),
    ).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_CREATE_TARBALL_MISSING',
      message: expect.stringContaining('no tarball for @zephyr/db (expected zephyr-db-<version>.tgz)'),
    });
    expect(existsSync(join(cwd, 'app'))).toBe(false);
    await expect(runCreate(['app', '--yes', '--from', join(cwd, 'nowhere')], ctx)).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_CREATE_TARBALL_MISSING',
    });
  });

  it('without a terminal and without --yes, names the flags to pass', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'zephyr-create-'));
    const { ctx } = context(cwd, false);
    await expect(runCreate(['app', '--template', 'api'], ctx)).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_CREATE_NEEDS_ANSWER',
      message: 'no terminal to ask on: pass --db, --engine, or --yes for the defaults',
    });
  });
});
