// The playground with `tracing.enabled` (from the environment, as an operator would set it): its
// spans reach a real OTLP/HTTP endpoint, here a sink in this process that keeps what it receives.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const main = new URL('../dist/main.js', import.meta.url).pathname;

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: OtlpValue }[];
}
interface OtlpExport {
  resourceSpans: {
    resource: { attributes: { key: string; value: OtlpValue }[] };
    scopeSpans: { spans: OtlpSpan[] }[];
  }[];
}

/** A span as received, with its resource's service name. */
interface Received extends OtlpSpan {
  service: string | undefined;
}

/** An OTLP/HTTP JSON traces endpoint that keeps every span posted to it. */
function startSink(): Promise<{ server: Server; url: string; spans: Received[] }> {
  const spans: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const payload = JSON.parse(body.toString('utf8')) as OtlpExport;
      for (const rs of payload.resourceSpans) {
        const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
        for (const ss of rs.scopeSpans) for (const span of ss.spans) spans.push({ ...span, service });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}/v1/traces`, spans });
    });
  });
}

function attribute(span: OtlpSpan, key: string): string | number | undefined {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  if (value === undefined) return undefined;
  return value.stringValue ?? (value.intValue === undefined ? undefined : Number(value.intValue));
}

describe('the playground with tracing on', () => {
  let sink: Awaited<ReturnType<typeof startSink>>;
  let child: ChildProcess;
  let url: string;
  let output = '';

  beforeAll(async () => {
    sink = await startSink();
    child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        PORT: '0',
        PLAYGROUND_DATA_DIR: mkdtempSync(join(tmpdir(), 'zephyr-playground-tracing-')),
        ZEPHYR_TRACING__ENABLED: 'true',
        ZEPHYR_TRACING__SERVICE_NAME: 'playground-it',
        ZEPHYR_TRACING__OTLP__ENDPOINT: sink.url,
        // The sink reads JSON; the config's protocol key picks it (protobuf is the default).
        ZEPHYR_TRACING__OTLP__PROTOCOL: 'http/json',
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
  }, 90_000);

  afterAll(async () => {
    if (child?.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    await new Promise((r) => sink?.server.close(r));
  });

  it('exports the request, its queries and its actor asks under the caller trace, flushed on SIGTERM', async () => {
    const created = await fetch(`${url}users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Ada', email: 'ada@example.com' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };

    const readTrace = randomBytes(16).toString('hex');
    const readCaller = randomBytes(8).toString('hex');
    const read = await fetch(`${url}users/${id}`, {
      headers: { traceparent: `00-${readTrace}-${readCaller}-01` },
    });
    expect(read.status).toBe(200);
    const statsTrace = randomBytes(16).toString('hex');
    const statsCaller = randomBytes(8).toString('hex');
    const stats = await fetch(`${url}stats`, {
      headers: { traceparent: `00-${statsTrace}-${statsCaller}-01` },
    });
    expect(stats.status).toBe(200);

    // Shutdown flushes the batch: every span is at the sink once the process has exited.
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const spans = sink.spans;
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['playground-it']));

    const request = spans.find((s) => s.traceId === readTrace && s.name === 'GET /users/:id');
    expect(request, JSON.stringify(spans.map((s) => s.name))).toBeDefined();
    expect(request!.parentSpanId).toBe(readCaller);
    expect(attribute(request!, 'http.response.status_code')).toBe(200);
    const queries = spans.filter(
      (s) => s.traceId === readTrace && attribute(s, 'db.system.name') === 'postgresql',
    );
    expect(queries.map((s) => s.name)).toContain('SELECT users');
    for (const q of queries) expect(q.parentSpanId).toBe(request!.spanId);

    const statsRequest = spans.find((s) => s.traceId === statsTrace && s.name === 'GET /stats');
    expect(statsRequest).toBeDefined();
    const asks = spans.filter((s) => s.traceId === statsTrace && s.name.startsWith('process '));
    expect(asks.map((s) => s.name).sort()).toEqual(['process count', 'process top', 'process visit']);
    for (const a of asks) expect(a.parentSpanId).toBe(statsRequest!.spanId);
  });
});
