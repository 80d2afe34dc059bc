import { basename, relative, sep } from 'node:path';
import { watch } from 'chokidar';

/** Quiet time after the last change before a reload starts: an editor's save is several events. */
export const DEFAULT_DEBOUNCE_MS = 100;

/** Directories never watched: dependencies, build output, VCS data, the app's embedded database. */
export const IGNORED_DIRECTORIES: readonly string[] = ['node_modules', 'dist', '.git', '.zephyr', 'coverage'];

/** Whether a path under `root` is one `zephyr dev` ignores (also editors' swap and backup files). */
export function isIgnoredPath(root: string, path: string): boolean {
  const parts = relative(root, path).split(sep);
  if (parts.some((part) => IGNORED_DIRECTORIES.includes(part))) return true;
  const name = basename(path);
  return name.endsWith('~') || name.endsWith('.swp') || name.endsWith('.swx') || name.startsWith('.#');
}

/** A running watch; `close` stops it. */
export interface ChangeWatcher {
  /** Resolves once the initial scan is done: changes from then on are reported. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Watches `root` (recursively, skipping {@link IGNORED_DIRECTORIES} without descending into them)
 * and calls `onChange` with the files, relative to `root`, that were added, changed or removed
 * during a burst of changes, once the burst has been quiet for `debounceMs`.
 */
export function watchChanges(
  root: string,
  onChange: (files: readonly string[]) => void,
  debounceMs = DEFAULT_DEBOUNCE_MS,
): ChangeWatcher {
  const watcher = watch(root, { ignoreInitial: true, ignored: (path) => isIgnoredPath(root, path) });
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  watcher.on('all', (_event, path) => {
    pending.add(relative(root, path));
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...pending].sort();
      pending = new Set();
      onChange(files);
    }, debounceMs);
  });
  // A watch error (a directory vanished mid-scan) must not end the dev server.
  watcher.on('error', (err) => console.error('zephyr dev: file watch error:', err));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    ready,
    close: async () => {
      clearTimeout(timer);
      await watcher.close();
    },
  };
}
