import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, zephyrConfigSections } from 'zephyr';

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
    expect(result.stderr).toBe(`zephyr config: read ${join(dir, 'zephyr.config.yaml')}\n`);
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

describe('zephyr config: sections', () => {
  it('knows every section the zephyr meta-package reads, so an app configured for one runs under the other', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zephyr-cli-'));
    writeFileSync(
      join(dir, 'zephyr.config.yaml'),
      'tracing:\n  enabled: true\n  service_name: shop\n  sample_rate: 0.25\n',
    );
    const result = zephyr(['config'], dir);
    expect(result.stderr).toBe(`zephyr config: read ${join(dir, 'zephyr.config.yaml')}\n`);
    const cli = JSON.parse(result.stdout);
    const meta = loadConfig({ cwd: dir, env: {} });
    expect(Object.keys(cli).sort()).toEqual(Object.keys(zephyrConfigSections).sort());
    expect(cli).toEqual(JSON.parse(JSON.stringify(meta)));
    expect(cli.tracing).toMatchObject({ enabled: true, service_name: 'shop', sample_rate: 0.25 });
  });
});

describe('zephyr config: which file', () => {
  it('finds zephyr.config.yaml in a parent directory, as a user expects, and says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zephyr-cli-'));
    writeFileSync(join(dir, 'zephyr.config.yaml'), 'server:\n  port: 4321\n');
    const nested = join(dir, 'src', 'routes');
    mkdirSync(nested, { recursive: true });
    const result = zephyr(['config'], nested);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`zephyr config: read ${join(dir, 'zephyr.config.yaml')}\n`);
    expect(JSON.parse(result.stdout).server.port).toBe(4321);
  });

  it('says that no file was found, and prints the defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zephyr-cli-'));
    const result = zephyr(['config'], dir);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`no zephyr.config.yaml (or .yml) in ${dir} or any parent`);
    expect(JSON.parse(result.stdout).server.port).toBe(3000);
  });

  it('rejects unknown flags and stray arguments instead of ignoring them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zephyr-cli-'));
    const unknown = zephyr(['config', '--fiel', 'x.yaml'], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--fiel'");
    const stray = zephyr(['config', 'x.yaml'], dir);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('unexpected argument: "x.yaml"');
    const empty = zephyr(['config', '--file'], dir);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("Option '--file <value>' argument missing");
  });

  it('names a file that does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zephyr-cli-'));
    const result = zephyr(['config', '--file', 'missing.yaml'], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(join(dir, 'missing.yaml'));
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
    expect(zephyr(['--help'], tmpdir()).stdout).toMatch(
      /Commands:\n {2}new .*\n {2}start .*\n {2}dev .*\n {2}db .*\n {2}config/,
    );
  });

  it.each([
    [['probe', 'extra'], 'unexpected argument: "extra"'],
    [['probe', '--verbose'], "Unknown option '--verbose'"],
    [['start', '--port', '1'], "Unknown option '--port'"],
    [['db', 'status', 'now'], 'unexpected argument: "now"'],
    [['db', 'migrate', '--steps', '2'], '--steps applies to rollback only'],
    [['db', 'rollback', '--steps', '0'], '--steps must be a positive integer (got "0")'],
    [['db', 'drop'], 'unknown db command "drop"'],
    [['db', 'generate'], 'generate needs a migration name'],
    [['new', 'a', 'b', '--yes'], 'expected one directory, got 2: "a" "b"'],
    [['new', 'a', '--template', 'huge'], '--template must be one of minimal, api, full (got "huge")'],
    [['new', 'a', '--template', 'minimal', '--db', 'pglite'], '--db applies to the api and full templates'],
    [['dev', 'a.ts', 'b.ts'], 'unexpected argument: "b.ts"'],
    [['dev', '--port', '70000'], '--port must be an integer in 0..65535, got "70000"'],
    [['dev', '--port', '1.5'], '--port must be an integer in 0..65535, got "1.5"'],
    [['dev', 'no-such-entry.ts'], "no-such-entry.ts does not exist: pass the app's source entry"],
  ])('refuses %j with exit 2 and the reason', (args, reason) => {
    const result = zephyr(args, tmpdir());
    expect(result.stderr).toContain(reason);
    expect(result.stderr).toContain('Usage: ');
    expect(result.code).toBe(2);
  });
});
