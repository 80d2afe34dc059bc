// The benchmarks' own Rust clients (bench/<subject>/load/): built by cargo into
// ~/.cache/zephyr/<name>-target, where later builds are a no-op until the source changes.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Builds the cargo project at `manifest` (release, `--locked`) into the cache and returns the path
 * of its binary `bin`. The first build, slow, says so on stderr with its time; a failed one
 * throws, with `hint` after the reason.
 *
 * @param {{ manifest: string, target: string, bin: string, hint?: string }} tool
 * @returns {string}
 */
export function cargoTool({ manifest, target, bin, hint = '' }) {
  const targetDir = join(homedir(), '.cache', 'zephyr', target);
  const binary = join(targetDir, 'release', bin);
  const first = !existsSync(binary);
  const started = Date.now();
  if (first) process.stderr.write(`building ${dirname(manifest)} with cargo (once)…\n`);
  try {
    execFileSync(
      'cargo',
      ['build', '--release', '--locked', ...(first ? [] : ['--quiet']), '--manifest-path', manifest],
      { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, CARGO_TARGET_DIR: targetDir } },
    );
  } catch (err) {
    throw new Error(`could not build ${dirname(manifest)} with cargo (${err.message})${hint}`);
  }
  if (first) process.stderr.write(`built in ${Math.round((Date.now() - started) / 1000)} s\n`);
  return binary;
}
