// Packs every workspace package once per test run (`pnpm -r pack`), as a user of a clone would;
// the scaffold and consumer tests install from these tarballs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    packDir: string;
  }
}

const repoRoot = new URL('../../../', import.meta.url).pathname;

export default function setup(project: TestProject): () => void {
  const packDir = mkdtempSync(join(tmpdir(), 'zephyr-packs-'));
  execFileSync('npx', ['-y', 'pnpm@12.4.2', '-r', 'pack', '--pack-destination', packDir], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  project.provide('packDir', packDir);
  return () => rmSync(packDir, { recursive: true, force: true });
}
