// The native load client (load/, Rust, one epoll thread): built with cargo on first use into
// ~/.cache/zephyr/ws-load-target (cargo makes later runs a no-op), then run once per phase. The
// same cargo project builds the bound server, ws-bound.
// It opens its connections, says `ready`, and starts when told on stdin, so the runner's CPU
// clocks cover the run and not the handshakes.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cargoTool } from '../lib/cargo-tool.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** Builds the client (a no-op when it is up to date); returns the binary's path. */
export function buildNativeLoad() {
  return cargoTool({
    manifest: join(here, 'load/Cargo.toml'),
    target: 'ws-load-target',
    bin: 'ws-load',
    hint: '; run with --load node',
  });
}

/**
 * Builds the cargo project (a no-op when it is up to date) and returns the path of `ws-bound`,
 * the benchmark's bound server (same project as the client: `load/src/bin/ws-bound/`).
 */
export function buildBound() {
  return cargoTool({
    manifest: join(here, 'load/Cargo.toml'),
    target: 'ws-load-target',
    bin: 'ws-bound',
    hint: '; leave the bound out with --servers ws,zephyr-node,zephyr-uring',
  });
}

/**
 * Starts `binary` with `args` and resolves once its connections are open, with its pid and
 * `go()`: starts the run and resolves with the words of its result line.
 */
export async function startNativeLoad(binary, args) {
  const child = spawn(binary, args.map(String), { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise((_, reject) =>
    child.once('exit', (code) => reject(new Error(`native load client exited with ${code}`))),
  );
  const line = () => Promise.race([lines.next().then((l) => l.value ?? ''), exited]);
  const first = await line();
  if (first !== 'ready') throw new Error(`native load client: expected ready, got ${first}`);
  return {
    pid: child.pid,
    async go() {
      child.stdin.write('go\n');
      const result = (await line()).split(' ');
      child.stdin.end();
      return result;
    },
  };
}
