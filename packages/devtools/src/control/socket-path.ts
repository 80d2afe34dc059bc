import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ControlSocketNotFoundError, InvalidArgumentError } from '../devtools-errors.js';

const CONFIG_FILES = ['zephyr.config.yaml', 'zephyr.config.yml'];

/**
 * The app's root as the CLI and the app both find it: the nearest directory at or above `dir`
 * holding `zephyr.config.yaml`, else `dir` itself. One rule, so `zephyr repl` run anywhere in the
 * app finds the socket the app opened.
 */
export function appRootOf(dir: string): string {
  let at = resolve(dir);
  for (;;) {
    if (CONFIG_FILES.some((name) => existsSync(join(at, name)))) return at;
    const up = dirname(at);
    if (up === at) return resolve(dir);
    at = up;
  }
}

/**
 * The per-user directory holding the control sockets: `$XDG_RUNTIME_DIR/zephyr`, else
 * `<tmpdir>/zephyr-<uid>`. Made with mode 0700; refused when it is a symlink or another user's,
 * since a socket there would let that user into the app.
 */
export function runtimeDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const base = env.XDG_RUNTIME_DIR;
  const uid = process.getuid?.() ?? 0;
  const dir = base ? join(base, 'zephyr') : join(tmpdir(), `zephyr-${uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory() || stat.uid !== uid || (stat.mode & 0o077) !== 0) {
    throw new InvalidArgumentError(
      `${dir} must be a directory owned by uid ${uid} with mode 0700 (it holds the apps' control sockets)`,
    );
  }
  return dir;
}

/** The short key of an app root in socket names (unix socket paths are limited to 107 bytes). */
export function appKey(root: string): string {
  let real = root;
  try {
    real = realpathSync(root);
  } catch {
    // A root that does not exist yet keys by its resolved path.
  }
  return createHash('sha256').update(real).digest('hex').slice(0, 12);
}

/** The socket an app at `root` with process id `pid` listens on. */
export function socketPathFor(root: string, pid: number, dir: string = runtimeDir()): string {
  return join(dir, `${appKey(root)}-${pid}.sock`);
}

const SOCKET_NAME = /^([0-9a-f]{12})-(\d+)\.sock$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Where to find the app: exactly one of these, or the app root's live socket. */
export interface SocketLookup {
  /** The app root to look for (`appRootOf(cwd)` by default in the CLI). */
  readonly root: string;
  /** An explicit socket path (`--socket`). */
  readonly socket?: string | undefined;
  /** The app's process id (`--pid`): its socket in the runtime directory, whatever its root. */
  readonly pid?: number | undefined;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Finds the control socket of a running app. An explicit `socket` wins; then `pid`; otherwise the
 * one live socket of `root`. Sockets of exited processes are skipped.
 *
 * @throws ControlSocketNotFoundError naming where it looked, or the pids to choose from.
 */
export function findControlSocket(lookup: SocketLookup): string {
  if (lookup.socket !== undefined) {
    if (!existsSync(lookup.socket))
      throw new ControlSocketNotFoundError(`no control socket at ${lookup.socket}`);
    return lookup.socket;
  }
  const dir = runtimeDir(lookup.env);
  const entries = readdirSync(dir)
    .map((name) => ({ name, match: SOCKET_NAME.exec(name) }))
    .filter((e) => e.match !== null)
    .map((e) => ({ path: join(dir, e.name), key: e.match![1]!, pid: Number(e.match![2]) }))
    .filter((e) => alive(e.pid));
  if (lookup.pid !== undefined) {
    const found = entries.find((e) => e.pid === lookup.pid);
    if (found === undefined)
      throw new ControlSocketNotFoundError(
        `process ${lookup.pid} has no control socket in ${dir}: is it a Zephyr app with devtools attached?`,
      );
    return found.path;
  }
  const key = appKey(lookup.root);
  const mine = entries.filter((e) => e.key === key);
  if (mine.length === 0)
    throw new ControlSocketNotFoundError(
      `no running app at ${lookup.root} has a control socket in ${dir}: start it with devtools attached (on in development), or pass --socket or --pid`,
    );
  if (mine.length > 1)
    throw new ControlSocketNotFoundError(
      `${mine.length} processes of ${lookup.root} are running (pids ${mine.map((e) => e.pid).join(', ')}): pass --pid`,
    );
  return mine[0]!.path;
}
