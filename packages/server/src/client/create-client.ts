import type { InjectOptions, InjectResult } from '../engine-adapters/inject.js';
import { InvalidArgumentError } from '../errors.js';
import type { Problem } from '../problem.js';
import type { RoutesOf } from './route-spec.js';

/** The answer to a client call: the typed JSON of a success, or the problem document of an error. */
export type ClientResponse<T> =
  | { ok: true; status: number; headers: Headers; data: T }
  | { ok: false; status: number; headers: Headers; error: Problem };

/** How a client reaches the app: a base URL (global `fetch`), any fetch function, or `inject`. */
export type ClientTransport =
  | string
  | { baseUrl?: string; fetch: (request: Request) => Promise<Response> }
  | { inject: (options: InjectOptions) => Promise<InjectResult> };

/** Any route's spec (the loose form of `RouteSpec`, which every route's spec satisfies). */
interface AnySpec {
  params: object;
  query: unknown;
  headers: unknown;
  body: unknown;
  response: unknown;
}

type SpecOf<R, P extends keyof R, M extends string> = M extends keyof R[P]
  ? R[P][M] extends infer S extends AnySpec
    ? S
    : never
  : never;

/** The paths of `R` that have a route for `M`. */
type PathsFor<R, M extends string> = {
  [P in keyof R]: M extends keyof R[P] ? P : never;
}[keyof R] &
  string;

type Optional<K extends string, T> = undefined extends T ? { [P in K]?: T } : { [P in K]: T };

/** What a call takes: `params` when the path has any, `body` when the route validates one. */
export type RequestArgs<S extends AnySpec> = (keyof S['params'] extends never
  ? { params?: undefined }
  : { params: S['params'] }) &
  Optional<'body', S['body']> &
  Optional<'query', S['query']> &
  Optional<'headers', S['headers']>;

type ArgsTuple<S extends AnySpec> =
  Record<never, never> extends RequestArgs<S> ? [args?: RequestArgs<S>] : [args: RequestArgs<S>];

type Call<R, M extends string> = <P extends PathsFor<R, M>>(
  path: P,
  ...args: ArgsTuple<SpecOf<R, P, M>>
) => Promise<ClientResponse<SpecOf<R, P, M>['response']>>;

/** A client typed by an app's routes: `client.post('/users', { body })` checks `body` at compile time. */
export interface Client<R> {
  get: Call<R, 'GET'>;
  post: Call<R, 'POST'>;
  put: Call<R, 'PUT'>;
  patch: Call<R, 'PATCH'>;
  delete: Call<R, 'DELETE'>;
}

interface CallArgs {
  params?: Record<string, string | number>;
  query?: Record<string, unknown>;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * A client for an app, typed from the app's type (as Hono's `hc` and Elysia's Eden): routes
 * chained on the app (`const api = app.get(…).post(…)`) make `typeof api` carry them, and a call
 * with a wrong path, params or body type does not compile. It calls over HTTP (a base URL, or any
 * fetch function such as `app.fetch`) or in memory through `app.inject`.
 *
 * @example
 * ```ts
 * const api = createApp().post('/users', { body: z.object({ name: z.string() }) }, (ctx) => ctx.json({ id: 1 }, 201));
 * const client = createClient<typeof api>('http://127.0.0.1:3000'); // or createClient<typeof api>(api)
 * const res = await client.post('/users', { body: { name: 'Ada' } });
 * if (res.ok) res.data; // typed from the route's response schema
 * ```
 */
export function createClient<App>(transport: ClientTransport): Client<RoutesOf<App>> {
  const send = sender(transport);
  const call =
    (method: string) =>
    async (path: string, args: CallArgs = {}): Promise<ClientResponse<unknown>> => {
      const url = `${fillPath(path, args.params ?? {})}${queryString(args.query)}`;
      const headers: Record<string, string> = { ...args.headers };
      let body: string | undefined;
      if (args.body !== undefined) {
        body = JSON.stringify(args.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await send(method, url, headers, body);
      const text = res.text;
      const type = res.headers.get('content-type') ?? '';
      const parsed: unknown = text === '' ? undefined : /[/+]json\b/.test(type) ? JSON.parse(text) : text;
      return res.status < 400
        ? { ok: true, status: res.status, headers: res.headers, data: parsed }
        : { ok: false, status: res.status, headers: res.headers, error: parsed as Problem };
    };
  return {
    get: call('GET'),
    post: call('POST'),
    put: call('PUT'),
    patch: call('PATCH'),
    delete: call('DELETE'),
  } as unknown as Client<RoutesOf<App>>;
}

type Sent = { status: number; headers: Headers; text: string };

function sender(
  transport: ClientTransport,
): (method: string, url: string, headers: Record<string, string>, body: string | undefined) => Promise<Sent> {
  if (typeof transport === 'object' && transport !== null && 'inject' in transport) {
    return async (method, url, headers, body) => {
      const res = await transport.inject({ method, url, headers, ...(body === undefined ? {} : { body }) });
      const out = new Headers();
      for (const [name, value] of Object.entries(res.headers))
        for (const v of typeof value === 'string' ? [value] : value) out.append(name, v);
      return { status: res.status, headers: out, text: res.text() };
    };
  }
  const { baseUrl, fetch: doFetch } =
    typeof transport === 'string'
      ? { baseUrl: transport, fetch: (request: Request) => fetch(request) }
      : typeof transport === 'object' && transport !== null && typeof transport.fetch === 'function'
        ? { baseUrl: transport.baseUrl ?? 'http://localhost', fetch: transport.fetch }
        : { baseUrl: undefined, fetch: undefined };
  if (baseUrl === undefined || doFetch === undefined) {
    throw new InvalidArgumentError(
      'createClient: pass a base URL, { fetch, baseUrl? } or an app (anything with inject)',
    );
  }
  const base = baseUrl.replace(/\/$/, '');
  return async (method, url, headers, body) => {
    const res = await doFetch(
      new Request(`${base}${url}`, { method, headers, ...(body === undefined ? {} : { body }) }),
    );
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
}

/** `/users/:id/*` with `{ id: 7, '*': 'a/b' }` → `/users/7/a/b`, each value percent-encoded. */
function fillPath(path: string, params: Record<string, string | number>): string {
  const value = (name: string): string => {
    const v = params[name];
    if (v === undefined) throw new InvalidArgumentError(`createClient: ${path} needs params.${name}`);
    return String(v);
  };
  const filled = path.replace(/:([^/]+)/g, (_, name: string) => encodeURIComponent(value(name)));
  return filled.endsWith('*')
    ? `${filled.slice(0, -1)}${value('*').split('/').map(encodeURIComponent).join('/')}`
    : filled;
}

function queryString(query: Record<string, unknown> | undefined): string {
  if (query === undefined) return '';
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) search.append(name, String(v));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
