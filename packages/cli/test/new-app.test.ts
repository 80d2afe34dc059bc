// `zephyr new` as a user runs it: each template, non-interactively, into a directory outside the
// workspace, installed from the packed tarballs; then the app's own tests, a build, a start, and
// real requests. The three ways in are each used once: `zephyr new`, `npm create` (npm exec of the
// create-zephyr tarball) and pnpm as the app's package manager.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { start, zephyrBin } from './running-process.js';

const packDir = inject('packDir');
const root = mkdtempSync(join(tmpdir(), 'zephyr-new-'));

// `pnpm` on PATH for the app whose package manager it is, as `pnpm create zephyr` would have it.
const shims = mkdtempSync(join(tmpdir(), 'zephyr-shims-'));
writeFileSync(join(shims, 'pnpm'), '#!/bin/sh\nexec npx -y pnpm@12.4.2 "$@"\n');
chmodSync(join(shims, 'pnpm'), 0o755);
const env = { ...process.env, PATH: `${shims}:${process.env.PATH}`, NO_COLOR: '1' } as Record<string, string>;
delete env.FORCE_COLOR;

function run(command: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}): string {
  try {
    return execFileSync(command, args, {
      cwd,
      env: { ...env, ...extraEnv },
      encoding: 'utf8',
      stdio: 'pipe',
      timeout: 240_000,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}${e.stderr ?? ''}\n${e.message}`,
    );
  }
}

function createPostgresDatabase(): { url: string; drop: () => void } {
  const admin = process.env.ZEPHYR_TEST_PG_URL;
  if (!admin) throw new Error('ZEPHYR_TEST_PG_URL is not set: run `eval "$(bash .ci/services.sh)"` first');
  const name = `new_app_${randomBytes(4).toString('hex')}`;
  execFileSync('psql', [admin, '-q', '-c', `create database ${name}`]);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => execFileSync('psql', [admin, '-q', '-c', `drop database ${name} with (force)`]),
  };
}

const createZephyrTarball = () => {
  const file = readdirSync(packDir).find((f) => /^create-zephyr-\d.*\.tgz$/.test(f));
  if (!file) throw new Error(`no create-zephyr tarball in ${packDir}`);
  return join(packDir, file);
};

const cases = [
  { template: 'minimal', via: 'zephyr new', pm: 'npm', engine: 'node', db: undefined },
  { template: 'api', via: 'npm create', pm: 'npm', engine: 'io_uring', db: 'pglite' },
  { template: 'full', via: 'zephyr new', pm: 'pnpm', engine: 'auto', db: 'postgres' },
] as const;

describe.each(cases)(
  '$template app, via $via, installed with $pm, on $db',
  ({ template, via, pm, engine, db }) => {
    const dir = join(root, `${template}-app`);
    const postgres = db === 'postgres' ? createPostgresDatabase() : undefined;
    const appEnv: Record<string, string> = postgres ? { ZEPHYR_DATABASE__URL: postgres.url } : {};
    afterAll(() => postgres?.drop());
    const runScript = (script: string) =>
      pm === 'npm' ? run('npm', ['run', script], dir, appEnv) : run('pnpm', ['run', script], dir, appEnv);

    it('is created from the tarballs with a progress line per step', () => {
      const flags = [dir, '--template', template, '--engine', engine, '--pm', pm, '--from', packDir, '--yes'];
      if (db) flags.push('--db', db);
      const out =
        via === 'npm create'
          ? run(
              'npm',
              ['exec', '--yes', `--package=${createZephyrTarball()}`, '--', 'create-zephyr', ...flags],
              root,
            )
          : run(process.execPath, [zephyrBin, 'new', ...flags], root);
      expect(out).toMatch(
        /\[1\/4\] checking .*\n\[2\/4\] .*\n\[3\/4\] writing the .*\n\[4\/4\] installing dependencies with /,
      );
      expect(out).toContain(`Created ${template} app in ${dir}`);
    });

    it('passes its own tests and typechecks', () => {
      expect(runScript('test')).toMatch(/Tests +\d+ passed/);
      runScript('typecheck');
    });

    it('builds, migrates, starts, answers GET / and drains on SIGTERM', async () => {
      runScript(db ? 'db:migrate' : 'build');
      const app = start(join(dir, 'node_modules', '.bin', 'zephyr'), ['start'], {
        cwd: dir,
        env: { ...env, ...appEnv, ZEPHYR_SERVER__PORT: '0' },
      });
      try {
        const [, url] = await app.waitFor(/listening on (http:\/\/\S+\/)/);
        expect(app.output()).toContain(engine === 'auto' ? '(engine ' : `(engine ${engine}`);
        const res = await fetch(url!);
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ name: `${template}-app` });
        if (db) {
          const created = await fetch(`${url}todos`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ title: 'ship it' }),
          });
          expect(created.status).toBe(201);
          expect(await (await fetch(`${url}todos`)).json()).toEqual([
            expect.objectContaining({ title: 'ship it' }),
          ]);
        }
      } finally {
        expect(await app.stop('SIGTERM')).toBe(0);
      }
      expect(app.output()).toContain('zephyr start: stopped');
    });
  },
);
