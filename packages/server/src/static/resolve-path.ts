import type { Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { PathForbiddenError } from '../errors.js';

/** A file found under the root, or why not. */
export type Resolved = { kind: 'file'; path: string; stats: Stats } | { kind: 'missing' };

/**
 * Maps a still percent-encoded request path (relative to the served root) to a file strictly
 * inside `realRoot` (the root after `realpath`). Refuses with {@link PathForbiddenError}, before
 * touching the disk: encoded slashes and backslashes (`%2f`, `%5c`, `\`), which different layers
 * would split differently; NUL bytes; malformed escapes; and `..` segments, encoded or not.
 * After resolving, symlinks are followed with `realpath` and a target outside the root is refused.
 */
export async function resolveStaticPath(
  realRoot: string,
  rawRelative: string,
  options: { index: string | false; dotfiles: boolean },
): Promise<Resolved> {
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
  let candidate = join(realRoot, ...segments);
  let stats: Stats;
  try {
    stats = await stat(candidate);
    if (stats.isDirectory()) {
      if (options.index === false) return { kind: 'missing' };
      candidate = join(candidate, options.index);
      stats = await stat(candidate);
    }
  } catch {
    return { kind: 'missing' };
  }
  if (!stats.isFile()) return { kind: 'missing' };
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return { kind: 'missing' };
  }
  if (!real.startsWith(realRoot + sep)) throw new PathForbiddenError('symlink leaves the root');
  return { kind: 'file', path: real, stats };
}
