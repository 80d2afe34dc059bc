import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { trace } from '@opentelemetry/api';
import { type ActorSystem, createActorSystem } from '@zephyr/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACER_NAME } from '../src/index.js';
import { type ReportedSpan, spanReporter } from './fixtures/traced-actors.js';
import { inMemoryTracing, only, type TestTracing } from './support/in-memory-tracing.js';

const NATS_URL = process.env.NATS_URL;
// Unique per run: concurrent runs on one nats-server do not see each other's nodes.
const CLUSTER = `tr${process.pid}${Date.now().toString(36)}`;
const nodeScript = fileURLToPath(new URL('./fixtures/cluster-node.js', import.meta.url));

let node: ChildProcess | undefined;
let system: ActorSystem | undefined;
let t: TestTracing | undefined;

beforeAll(async () => {
  if (NATS_URL === undefined)
    throw new Error('NATS_URL is not set: run `eval "$(bash .ci/services.sh)"` first');
  const child = spawn(process.execPath, [nodeScript, 'host'], {
    env: { ...process.env, ZEPHYR_TEST_CLUSTER: CLUSTER },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  node = child;
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the node exited with ${code} before joining`)));
  });
  t = inMemoryTracing();
  system = await createActorSystem({
    nodeId: 'sup',
    config: { supervisor_mode: 'distributed', nats_url: NATS_URL },
    cluster: { name: CLUSTER, hostActors: false, heartbeatMs: 200, downAfterMs: 800 },
  });
  const deadline = Date.now() + 20_000;
  while (!(await system.clusterNodes()).includes('host')) {
    if (Date.now() > deadline) throw new Error('the node did not join the cluster');
    await new Promise((r) => setTimeout(r, 50));
  }
}, 60_000);

afterAll(async () => {
  await system?.shutdown();
  await t?.shutdown();
  if (node?.exitCode === null) {
    node.kill('SIGTERM');
    await new Promise((r) => node!.once('exit', r));
  }
});

describe('an actor placed on another node over NATS', () => {
  it("continues the caller's trace: its span is a child of the PRODUCER send span, through NATS headers", async () => {
    const sup = system!.supervise({
      children: [{ id: 'reporter', actor: spanReporter, placement: 'cluster' }],
    });
    const ref = sup.actor<{ type: string }, { [type: string]: ReportedSpan | null }>('reporter')!;
    // Wait until the actor runs on the node (asks before placement are rejected).
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ok = await ref.ask({ type: 'ping' }).then(
        () => true,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error('the actor was not placed');
      await new Promise((r) => setTimeout(r, 50));
    }
    const seen = await trace.getTracer(TRACER_NAME).startActiveSpan('request', async (span) => {
      try {
        return await ref.ask({ type: 'report' });
      } finally {
        span.end();
      }
    });
    const spans = await t!.spans();
    const request = only(spans, 'request');
    const send = only(spans, 'send report');
    expect(send.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(send.attributes['zephyr.actor.placement']).toBe('cluster');
    expect(seen).toMatchObject({
      name: 'process report',
      traceId: request.spanContext().traceId,
      parentSpanId: send.spanContext().spanId,
    });
  });
});
