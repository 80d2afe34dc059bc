// Engine selection where io_uring is only partly allowed: a seccomp filter (as container
// runtimes install) refuses one io_uring syscall for a real node process. Whichever call is
// refused, `auto` must fall back to the node engine with one line naming it, and the server
// must serve; forcing io_uring must fail with the same reason, never with a bare EPERM later.
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const launcher = fileURLToPath(new URL('../fixtures/seccomp-exec.py', import.meta.url));
const entry = pathToFileURL(fileURLToPath(new URL('../../dist/index.js', import.meta.url))).href;

/** x86_64 syscall numbers (the only target the native binding is built for). */
const SYSCALLS = [
  ['io_uring_setup', 425],
  ['io_uring_enter', 426],
  ['io_uring_register', 427],
] as const;

/** Runs `script` (an ES module using `uring`, the package) in node with syscall `nr` refused. */
function runBlocked(
  nr: number,
  script: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const source = `import * as uring from ${JSON.stringify(entry)};\n${script}`;
  const child = spawn(
    'python3',
    [launcher, String(nr), process.execPath, '--input-type=module', '-e', source],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ZEPHYR_IO_ENGINE: '' },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

const SERVE_ONCE = `
const server = await uring.listen({ port: 0, host: '127.0.0.1' }, (req, res) => res.end('served'));
const res = await fetch('http://127.0.0.1:' + server.port + '/');
console.log(JSON.stringify({ engine: server.engine, reason: server.engineReason, body: await res.text() }));
await server.close();
`;

const FORCED = `
try {
  await uring.listen({ port: 0, host: '127.0.0.1', engine: 'io_uring' }, (req, res) => res.end());
  console.log(JSON.stringify({ started: true }));
} catch (err) {
  console.log(JSON.stringify({ code: err.code, message: err.message }));
}
`;

describe.each(SYSCALLS)('with %s refused by seccomp', (name, nr) => {
  it('auto falls back to the node engine, says why once, naming the call, and serves', async () => {
    const run = await runBlocked(nr, SERVE_ONCE);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { engine: string; reason: string; body: string };
    expect(result.engine).toBe('node');
    expect(result.body).toBe('served');
    expect(result.reason).toContain(`${name}`);
    expect(result.reason).toContain('Operation not permitted');
    const lines = run.stderr.split('\n').filter((l) => l.includes('io_uring unavailable'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${name}`);
    expect(lines[0]).toContain('using the node engine');
  }, 30_000);

  it('forcing io_uring fails at listen with ZEPHYR_ERR_ENGINE_UNAVAILABLE naming the call', async () => {
    const run = await runBlocked(nr, FORCED);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { code?: string; message?: string };
    expect(result.code).toBe('ZEPHYR_ERR_ENGINE_UNAVAILABLE');
    expect(result.message).toContain(`${name}`);
  }, 30_000);
});

describe('with an unrelated syscall refused', () => {
  it('auto still picks io_uring: the filter alone does not cause the fallback', async () => {
    // 169 is reboot(2), which nothing here calls.
    const run = await runBlocked(169, SERVE_ONCE);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { engine: string }).engine).toBe('io_uring');
    expect(run.stderr).not.toContain('io_uring unavailable');
  }, 30_000);
});
