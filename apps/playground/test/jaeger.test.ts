// The playground itself, built and spawned with tracing on, exporting to a real Jaeger: one
// request with a caller's traceparent reads the database and asks an actor, and Jaeger's query
// API shows it as one trace under the caller's trace id: request span → query spans and the
// actor's span. An actor route's work on an actor thread shows the same way.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Jaeger,
  type JaegerSpan,
  type JaegerTrace,
  startJaeger,
  waitForTrace,
} from '../../../scripts/jaeger-server.mjs';

const main = new URL('../dist/main.js', import.meta.url).pathname;

function parentOf(span: JaegerSpan): string | undefined {
  return span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
}
function tag(span: JaegerSpan, key: string): unknown {
  return span.tags.find((t) => t.key === key)?.value;
}
function named(trace: JaegerTrace, name: string): JaegerSpan[] {
  return trace.spans.filter((s) => s.operationName === name);
}

describe('the playground, traced into Jaeger', () => {
  let jaeger: Jaeger;
  let child: ChildProcess;
  let url: string;
  let output = '';

  beforeAll(async () => {
    // First run on a machine builds Jaeger from source (~11 min on 2 cores); later runs reuse it.
    jaeger = await startJaeger();
    child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        PORT: '0',
        PLAYGROUND_DATA_DIR: mkdtempSync(join(tmpdir(), 'zephyr-playground-jaeger-')),
        ZEPHYR_RUNTIME__ACTOR_THREADS: '1',
        ZEPHYR_TRACING__ENABLED: 'true',
        ZEPHYR_TRACING__SERVICE_NAME: 'playground-jaeger',
        ZEPHYR_TRACING__OTLP__ENDPOINT: jaeger.otlpEndpoint,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed in 60 s:\n${output}`)), 60_000);
      child.stdout!.on('data', () => {
        const match = /listening on (http:\/\/\S+\/)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.on('exit', (code) => reject(new Error(`playground exited with ${code}:\n${output}`)));
    });
  }, 30 * 60_000);

  afterAll(async () => {
    if (child?.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await jaeger?.stop();
  });

  it('shows request → queries and actor span under the incoming trace id', async () => {
    const created = await fetch(`${url}users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Grace', email: 'grace@example.com' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };

    const traceId = randomBytes(16).toString('hex');
    const caller = randomBytes(8).toString('hex');
    const res = await fetch(`${url}users/${id}/visits`, {
      headers: { traceparent: `00-${traceId}-${caller}-01` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ user: { id, name: 'Grace' }, visits: expect.any(Number) });

    const trace = await waitForTrace(
      jaeger,
      traceId,
      (t) =>
        t.spans.some((s) => s.operationName === 'GET /users/:id/visits') &&
        t.spans.some((s) => s.operationName === 'SELECT users') &&
        t.spans.some((s) => s.operationName === 'process count'),
    );
    expect(trace.traceID).toBe(traceId);
    const [request] = named(trace, 'GET /users/:id/visits');
    expect(request).toBeDefined();
    expect(parentOf(request!)).toBe(caller);
    expect(tag(request!, 'http.route')).toBe('/users/:id/visits');
    expect(tag(request!, 'http.response.status_code')).toBe(200);
    expect(trace.processes[request!.processID]?.serviceName).toBe('playground-jaeger');

    const queries = trace.spans.filter((s) => tag(s, 'db.system.name') === 'postgresql');
    expect(queries.map((s) => s.operationName)).toContain('SELECT users');
    for (const q of queries) expect(parentOf(q), q.operationName).toBe(request!.spanID);

    // The actor the handler asked, and the one the onRequest hook told: both children of the request.
    const asks = trace.spans.filter((s) => s.operationName.startsWith('process '));
    expect(asks.map((s) => s.operationName).sort()).toEqual(['process count', 'process visit']);
    for (const a of asks) {
      expect(parentOf(a), a.operationName).toBe(request!.spanID);
      expect(tag(a, 'messaging.destination.name')).toBeDefined();
    }
  });

  it('shows an actor route’s work on an actor thread as a child of the request', async () => {
    const traceId = randomBytes(16).toString('hex');
    const caller = randomBytes(8).toString('hex');
    const res = await fetch(`${url}checksum`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${caller}-01` },
      body: JSON.stringify({ text: 'zephyr', rounds: 3 }),
    });
    expect(res.status).toBe(200);
    // The actor thread's spans come in its own batch (up to 5 s later): wait for the whole tree.
    const trace = await waitForTrace(jaeger, traceId, (t) =>
      t.spans.some((s) => s.operationName === 'process request'),
    );
    const [request] = named(trace, 'POST /checksum');
    expect(parentOf(request!)).toBe(caller);
    const [send] = named(trace, 'send request');
    expect(parentOf(send!)).toBe(request!.spanID);
    expect(tag(send!, 'zephyr.actor.placement')).toBe('thread');
    const [work] = named(trace, 'process request');
    expect(parentOf(work!)).toBe(send!.spanID);
    // Made on the actor thread: exported by that thread's own SDK, as the same service.
    expect(trace.processes[work!.processID]?.serviceName).toBe('playground-jaeger');
  });
});
