// The HTTP/3 test app (fixtures/h3-app.mjs) on the io_uring engine in a child process, from the
// built package: its crash is an exit the test sees, its memory is its own (the hostile test),
// and it can run inside a network namespace (the loss test: `prefix` ['ip', 'netns', 'exec', ns]).
import { type ChildProcess, spawn } from 'node:child_process';
import type { ListenOptions } from '../src/index.js';

/** A server child process and what a test needs of it. */
export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  /** Everything it printed so far (for failure messages). */
  output(): string;
  /** Whether it is still running. */
  alive(): boolean;
  stop(): void;
}

/**
 * Starts the app on `host` with `tls` and `http3: true`, serving `/file/<n>` from `file`;
 * resolves once it prints its port. The pid is the server's own (found after `prefix`, which
 * execs it).
 */
export async function startH3Process(options: {
  host: string;
  tls: { cert: string; key: string };
  file: string;
  http3?: ListenOptions['http3'];
  prefix?: string[];
}): Promise<ServerProcess> {
  const dist = new URL('../dist/index.js', import.meta.url).href;
  const app = new URL('./fixtures/h3-app.mjs', import.meta.url).href;
  const script = `
    import { listen } from ${JSON.stringify(dist)};
    import { h3App } from ${JSON.stringify(app)};
    let server;
    server = await listen(
      {
        port: 0,
        host: ${JSON.stringify(options.host)},
        engine: 'io_uring',
        tls: ${JSON.stringify(options.tls)},
        http3: ${JSON.stringify(options.http3 ?? true)},
        limits: { maxBodyBytes: 4 << 20 },
      },
      h3App(${JSON.stringify(options.file)}, { versions: [], errors: [] }, () => server.http3Counters()),
    );
    console.log('pid ' + process.pid + ' port ' + server.port);
    process.on('SIGTERM', () => server.close({ timeoutMs: 1000 }).then(() => process.exit(0)));`;
  const [command, ...args] = [
    ...(options.prefix ?? []),
    process.execPath,
    '--input-type=module',
    '-e',
    script,
  ];
  const child = spawn(command!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const [pid, port] = await new Promise<[number, number]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no port in 30 s:\n${output}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      const match = /pid (\d+) port (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve([Number(match[1]), Number(match[2])]);
      }
    });
    child.on('exit', (code, signal) => reject(new Error(`server exited (${signal ?? code}):\n${output}`)));
  });
  return {
    child,
    pid,
    port,
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: () => child.kill('SIGKILL'),
  };
}
