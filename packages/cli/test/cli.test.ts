import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The built bin, run as a user runs it: a real process, real files, real exit codes.
const bin = new URL('../dist/bin.js', import.meta.url).pathname;

function zephyr(args: string[], cwd: string, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  return { stdout: result.stdout, stderr: result.stderr, code: result.status };
}

const SEED = `server:
  workers: auto  # Automatic based on CPU cores
  io_engine: io_uring  # Linux optimized I/O

runtime:
  memory_pool_size: 64MB
  actor_threads: 4
  supervisor_mode: distributed

performance:
  zero_copy: true
  kernel_tls: true
  tcp_fastopen: true
`;

describe('zephyr config', () => {
  it('accepts the seed configuration verbatim and prints it resolved', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zephyr-cli-'));
    writeFileSync(join(dir, 'zephyr.config.yaml'), SEED);
    const result = zephyr(['config'], dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const config = JSON.parse(result.stdout);
    expect(config.server).toMatchObject({ workers: 'auto', io_engine: 'io_uring' });
    expect(config.runtime).toMatchObject({
      memory_pool_size: 67108864,
      actor_threads: 4,
      supervisor_mode: 'distributed',
    });
    expect(config.performance).toEqual({ zero_copy: true, kernel_tls: true, tcp_fastopen: true });
  });

  it('applies environment overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zephyr-cli-'));
    writeFileSync(join(dir, 'zephyr.config.yaml'), SEED);
    const result = zephyr(['config'], dir, { ZEPHYR_SERVER__WORKERS: '4' });
    expect(JSON.parse(result.stdout).server.workers).toBe(4);
  });

  it('exits 1 with file, line and key path for a bad value, and a hint for a typo', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zephyr-cli-'));
    writeFileSync(join(dir, 'app.yaml'), 'runtime:\n  memory_pool_size: lots\n  actor_thread: 2\n');
    const result = zephyr(['config', '--file', 'app.yaml'], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${join(dir, 'app.yaml')}:2:21 runtime.memory_pool_size: "lots" is not a size`,
    );
    expect(result.stderr).toContain(
      `${join(dir, 'app.yaml')}:3:3 runtime.actor_thread: unknown key "actor_thread" (did you mean "actor_threads"?)`,
    );
  });
});

describe('zephyr', () => {
  it('probes io_uring for real', () => {
    const result = zephyr(['probe'], tmpdir());
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^io_uring: supported \(features 0x[0-9a-f]+\)/);
  });

  it('suggests the closest command for a typo and exits 2', () => {
    const result = zephyr(['confg'], tmpdir());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "confg" (did you mean "config"?)');
  });

  it('prints its version and help', () => {
    const version = execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).trim();
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect(zephyr(['--help'], tmpdir()).stdout).toMatch(/Commands:\n {2}config/);
  });
});
