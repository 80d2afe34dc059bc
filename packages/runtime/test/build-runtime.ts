import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function newest(dir: string, ext: string): number {
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(ext)) continue;
    max = Math.max(max, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return max;
}

/**
 * Vitest global setup. Worker threads and cluster node processes run the built JavaScript, so the
 * package is built once before the suite, unless `dist/` is already newer than every source file.
 */
export default function buildRuntime(): void {
  let builtAt = 0;
  try {
    builtAt = newest(join(root, 'dist'), '.js');
  } catch {
    // No dist yet.
  }
  if (builtAt > newest(join(root, 'src'), '.ts')) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}
