import { Readable } from 'node:stream';
import { Client } from 'undici';
import type { App, Server } from '../../src/index.js';

/** How a test reaches the app: `inject` (no socket), or undici over a real socket on an engine. */
export const TRANSPORTS = ['inject', 'node', 'io_uring'] as const;
export type Transport = (typeof TRANSPORTS)[number];

export interface TestRequest {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer | AsyncIterable<Uint8Array>;
}

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text(): string;
  json<T = unknown>(): T;
}

export interface TestClient {
  request(req: TestRequest): Promise<TestResponse>;
  close(): Promise<void>;
  /** The server (socket transports only). */
  server: Server | null;
}

/** Serves `app` over `transport` and returns a client for it. */
export async function connect(app: App, transport: Transport): Promise<TestClient> {
  if (transport === 'inject') {
    return {
      server: null,
      async request(req) {
        const res = await app.inject({
          method: req.method ?? 'GET',
          url: req.url,
          ...(req.headers ? { headers: req.headers } : {}),
          ...(req.body === undefined ? {} : { body: req.body }),
        });
        return wrap(res.status, res.headers, res.body);
      },
      async close() {},
    };
  }
  const server = await app.listen({ port: 0, engine: transport });
  const client = new Client(`http://127.0.0.1:${server.port}`, { pipelining: 0 });
  return {
    server,
    async request(req) {
      const res = await client.request({
        method: (req.method ?? 'GET') as 'GET',
        path: req.url,
        ...(req.headers ? { headers: req.headers } : {}),
        ...(req.body === undefined
          ? {}
          : {
              body:
                typeof req.body === 'string' || Buffer.isBuffer(req.body)
                  ? req.body
                  : Readable.from(req.body),
            }),
      });
      const body = Buffer.from(await res.body.arrayBuffer());
      return wrap(res.statusCode, res.headers as Record<string, string | string[] | undefined>, body);
    },
    async close() {
      await client.close();
      await server.close();
    },
  };
}

function wrap(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
): TestResponse {
  return {
    status,
    headers,
    body,
    text: () => body.toString('utf8'),
    json: <T>() => JSON.parse(body.toString('utf8')) as T,
  };
}
