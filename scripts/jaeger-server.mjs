// A real Jaeger (v1.76.0, all-in-one, in-memory storage) on free loopback ports, for the tests that
// check traces end to end (the tracer's and the playground's). Built by scripts/jaeger.sh when
// missing. Plain JavaScript with its types in jaeger-server.d.mts, so any package's tests can use it.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Builds Jaeger when missing (scripts/jaeger.sh: from the Go module proxy, cached outside the
 * repo) and starts it with a config naming free ports, so parallel runs do not collide.
 */
export async function startJaeger() {
  const bin = execFileSync('bash', [join(repoRoot, 'scripts/jaeger.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const [otlp, query, grpc] = [await freePort(), await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'zephyr-jaeger-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: mem
    http:
      endpoint: 127.0.0.1:${query}
    grpc:
      endpoint: 127.0.0.1:${grpc}
  jaeger_storage:
    backends:
      mem:
        memory:
          max_traces: 10000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlp}
processors:
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: mem
`,
  );
  const child = spawn(bin, ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk.toString()).slice(-8000);
  });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const queryUrl = `http://127.0.0.1:${query}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await fetch(`${queryUrl}/api/services`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (child.exitCode !== null) throw new Error(`jaeger exited with ${child.exitCode}:\n${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`jaeger did not answer on ${queryUrl} within 60 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    otlpEndpoint: `http://127.0.0.1:${otlp}/v1/traces`,
    queryUrl,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls the query API until `ready(trace)` holds (spans arrive in batches), or fails with what it saw. */
export async function waitForTrace(jaeger, traceId, ready, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    const res = await fetch(`${jaeger.queryUrl}/api/traces/${traceId}`);
    if (res.ok) {
      const body = await res.json();
      last = body.data[0];
      if (last !== undefined && ready(last)) return last;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `trace ${traceId} not complete in Jaeger after ${timeoutMs} ms; spans seen: ${JSON.stringify(last?.spans.map((s) => s.operationName) ?? [])}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
