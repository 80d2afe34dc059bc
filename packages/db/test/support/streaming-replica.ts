import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { adminQuery, postgresUrl } from './test-databases.js';

const run = promisify(execFile);

/** A second, real PostgreSQL streaming from the test server; `stop` removes it. */
export interface StreamingReplica {
  readonly url: string;
  readonly stop: () => Promise<void>;
}

/** The directory of the test server's binaries, from `ZEPHYR_TEST_PG_CTL` (as .ci/services.sh prints it). */
function binDir(): string {
  const ctl = process.env.ZEPHYR_TEST_PG_CTL ?? '';
  const match = /(\S*)\/pg_ctl\b/.exec(ctl);
  if (match?.[1] === undefined) {
    throw new Error(
      'ZEPHYR_TEST_PG_CTL is not set: run `eval "$(bash .ci/services.sh)"` from the repository root',
    );
  }
  return match[1];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(),
      );
    });
  });
}

/** PostgreSQL refuses to run as root: as root, run its tools as the postgres user (like .ci/services.sh). */
async function asPostgres(command: string, args: string[]): Promise<void> {
  if (process.getuid?.() === 0) await run('runuser', ['-u', 'postgres', '--', command, ...args]);
  else await run(command, args);
}

/**
 * Clones the test server with `pg_basebackup -R` into a temporary directory and starts the copy on
 * a free port as a hot standby: a real streaming replica, read-only, following the primary.
 */
export async function startStreamingReplica(): Promise<StreamingReplica> {
  const bin = binDir();
  const primary = new URL(postgresUrl());
  const dir = await mkdtemp(join(tmpdir(), 'zephyr-replica-'));
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const dataDir = join(dir, 'data');
  const port = await freePort();
  // A standby must allow at least as many connections as its primary, or recovery refuses to start.
  const [setting] = await adminQuery<{ max_connections: string }>('show max_connections');
  try {
    await asPostgres(join(bin, 'pg_basebackup'), [
      '-h',
      primary.hostname,
      '-p',
      primary.port,
      '-U',
      primary.username || 'postgres',
      '-D',
      dataDir,
      '-R',
      '-X',
      'stream',
      '--no-sync',
    ]);
    await asPostgres(join(bin, 'pg_ctl'), [
      '-D',
      dataDir,
      '-l',
      join(dir, 'server.log'),
      '-w',
      '-s',
      '-o',
      `-h 127.0.0.1 -p ${port} -k ${dir} -c hot_standby=on -c fsync=off -c max_connections=${setting?.max_connections ?? 200}`,
      'start',
    ]);
  } catch (error) {
    await asPostgres(join(bin, 'pg_ctl'), ['-D', dataDir, '-w', '-s', '-m', 'immediate', 'stop']).catch(
      () => undefined,
    );
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const url = new URL(primary.href);
  url.port = String(port);
  return {
    url: url.href,
    stop: async () => {
      await asPostgres(join(bin, 'pg_ctl'), ['-D', dataDir, '-w', '-s', '-m', 'immediate', 'stop']).catch(
        () => undefined,
      );
      await rm(dir, { recursive: true, force: true });
    },
  };
}
