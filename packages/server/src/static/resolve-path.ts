import type { Stats } from 'node:fs';
import { close, constants, fstat, open, openSync, realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { FileOpenError, openBeneath, openBeneathAvailable } from '@zephyr/uring';
import { PathForbiddenError } from '../errors.js';

/** A file opened under the root (the caller owns `fd`), or why not. */
export type Opened = { kind: 'file'; fd: number; name: string; stats: Stats } | { kind: 'missing' };

/** The served directory: its real path, and a descriptor held open to resolve beneath. */
export interface StaticRoot {
  realRoot: string;
  /** Open on Linux (see `openBeneath`); `undefined` where the native binding is missing. */
  fd: number | undefined;
}

/** Opens the root once; every request resolves beneath this descriptor. */
export function openStaticRoot(root: string): StaticRoot {
  const realRoot = realpathSync(root);
  if (!openBeneathAvailable()) return { realRoot, fd: undefined };
  return { realRoot, fd: openSync(realRoot, constants.O_RDONLY | constants.O_DIRECTORY) };
}

/**
 * Maps a still percent-encoded request path (relative to the served root) to an open file
 * strictly inside the root. Refuses with {@link PathForbiddenError}, before touching the disk:
 * encoded slashes and backslashes (`%2f`, `%5c`, `\`), which different layers would split
 * differently; NUL bytes; malformed escapes; and `..` segments, encoded or not.
 *
 * The file is then opened beneath the root's descriptor following no symlink, in one step
 * (`openBeneath`): a symlink anywhere on the path is refused (403), so swapping a directory for
 * a symlink mid-request cannot lead outside the root. Where the native binding is missing
 * (not Linux), symlinks are resolved with `realpath` and checked against the root before the
 * open instead, which a concurrent swap could race.
 */
export async function openStaticFile(
  root: StaticRoot,
  rawRelative: string,
  options: { index: string | false; dotfiles: boolean },
): Promise<Opened> {
  if (/%(2f|5c|00)/i.test(rawRelative)) throw new PathForbiddenError('encoded slash, backslash or NUL');
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawRelative);
  } catch {
    throw new PathForbiddenError('malformed percent-encoding');
  }
  if (decoded.includes('\0') || decoded.includes('\\')) throw new PathForbiddenError('NUL or backslash');
  const segments = decoded.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new PathForbiddenError('parent directory segment');
  if (!options.dotfiles && segments.some((s) => s.startsWith('.'))) return { kind: 'missing' };
  const openOne = root.fd === undefined ? openByRealpath : openBeneathRoot;
  let opened = await openOne(root, segments);
  if (opened.kind === 'file' && opened.stats.isDirectory()) {
    close(opened.fd, () => {});
    if (options.index === false) return { kind: 'missing' };
    opened = await openOne(root, [...segments, options.index]);
  }
  if (opened.kind === 'file' && !opened.stats.isFile()) {
    close(opened.fd, () => {});
    return { kind: 'missing' };
  }
  return opened;
}

async function openBeneathRoot(root: StaticRoot, segments: string[]): Promise<Opened> {
  let fd: number;
  try {
    fd = await openBeneath(root.fd as number, segments.join('/'));
  } catch (err) {
    if (err instanceof FileOpenError && err.errno === 'ELOOP') throw new PathForbiddenError('symlink');
    if (err instanceof FileOpenError) return { kind: 'missing' };
    throw err;
  }
  return withStats(fd, segments);
}

async function openByRealpath(root: StaticRoot, segments: string[]): Promise<Opened> {
  let real: string;
  try {
    real = await realpath(join(root.realRoot, ...segments));
  } catch {
    return { kind: 'missing' };
  }
  if (real !== root.realRoot && !real.startsWith(root.realRoot + sep)) {
    throw new PathForbiddenError('symlink leaves the root');
  }
  let fd: number;
  try {
    fd = await new Promise<number>((resolve, reject) =>
      open(real, constants.O_RDONLY | constants.O_NONBLOCK, (err, n) => (err ? reject(err) : resolve(n))),
    );
  } catch {
    return { kind: 'missing' };
  }
  return withStats(fd, segments);
}

async function withStats(fd: number, segments: string[]): Promise<Opened> {
  try {
    const stats = await new Promise<Stats>((resolve, reject) =>
      fstat(fd, (err, st) => (err ? reject(err) : resolve(st))),
    );
    return { kind: 'file', fd, name: segments[segments.length - 1] ?? '', stats };
  } catch (err) {
    close(fd, () => {});
    throw err;
  }
}
