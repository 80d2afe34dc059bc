import { constants } from 'node:os';
import { FileOpenError, ZephyrEngineError } from './errors.js';
import { loadNative } from './native.js';

/** errno number → name (`2` → `ENOENT`), from node's own table. */
const ERRNO_NAMES = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value as number, name]),
);

/**
 * Whether {@link openBeneath} can run here: it needs the native binding (Linux x64 today).
 *
 * @example
 * ```ts
 * import { openBeneathAvailable } from '@zephyr/uring';
 * if (!openBeneathAvailable()) console.warn('static files: symlink races are not excluded here');
 * ```
 */
export function openBeneathAvailable(): boolean {
  return loadNative().binding !== undefined;
}

/**
 * Opens `path` for reading beneath the directory open as `rootFd`, following no symlink, as one
 * step: `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)` where the kernel has it, otherwise each
 * component opened with `O_NOFOLLOW` from the descriptor of the one before. Whatever the tree
 * looks like at that instant (a directory swapped for a symlink included), the file opened is
 * beneath the root, so checking a path and opening it cannot be raced apart.
 *
 * `path` is relative and plain: `/`-separated names, none empty, `.` or `..`; `''` opens the
 * root itself. The result may be a directory or another non-regular file (opened non-blocking,
 * so a FIFO cannot hang it): `fstat` it. The caller owns the returned descriptor and closes it,
 * and keeps `rootFd` open until the promise settles. Runs on libuv's thread pool, as `fs.open`.
 *
 * Rejects with {@link FileOpenError} (`ZEPHYR_ERR_FILE_OPEN_FAILED`, `errno` `ELOOP` for a
 * symlink, `ENOENT`, `ENOTDIR`, ...); throws `ZEPHYR_ERR_INVALID_ARGUMENT` for a bad argument
 * and `ZEPHYR_ERR_ENGINE_UNAVAILABLE` where the native binding is missing
 * (see {@link openBeneathAvailable}).
 *
 * @example
 * ```ts
 * import { openSync, constants } from 'node:fs';
 * import { openBeneath } from '@zephyr/uring';
 * const root = openSync('/srv/www', constants.O_RDONLY | constants.O_DIRECTORY);
 * const fd = await openBeneath(root, 'assets/app.js');
 * ```
 */
export function openBeneath(rootFd: number, path: string): Promise<number> {
  if (!Number.isInteger(rootFd) || rootFd < 0 || rootFd > 0x7fff_ffff) {
    throw new ZephyrEngineError(
      'ZEPHYR_ERR_INVALID_ARGUMENT',
      `openBeneath: rootFd must be an open descriptor, got ${String(rootFd)}`,
    );
  }
  if (typeof path !== 'string' || !isPlainRelative(path)) {
    throw new ZephyrEngineError(
      'ZEPHYR_ERR_INVALID_ARGUMENT',
      `openBeneath: path must be relative, without empty, '.' or '..' segments or NUL, got ${JSON.stringify(path)}`,
    );
  }
  const native = loadNative();
  if (!native.binding) {
    throw new ZephyrEngineError(
      'ZEPHYR_ERR_ENGINE_UNAVAILABLE',
      `openBeneath needs the native binding, which could not be loaded: ${native.error.message}`,
    );
  }
  return native.binding.openBeneath(rootFd, path).then((result) => {
    if (result >= 0) return result;
    throw new FileOpenError(ERRNO_NAMES.get(-result) ?? `errno ${-result}`, path);
  });
}

function isPlainRelative(path: string): boolean {
  if (path === '') return true;
  if (path.includes('\0') || path.startsWith('/')) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}
