import { randomUUID } from 'node:crypto';
import { parseSize } from '@zephyr/config';
import {
  defaultLimits,
  type EngineRequest,
  type EngineResponse,
  type WebSocketLimits,
  type WebSocketServing,
} from '@zephyr/uring';
import type { z } from 'zod';
import type { WithRoute } from './client/route-spec.js';
import { compose, type Middleware } from './compose.js';
import { Context, type ContextShared } from './context.js';
import { FetchRequest, FetchResponse } from './engine-adapters/fetch.js';
import {
  type InjectOptions,
  InjectRequest,
  InjectResponse,
  type InjectResult,
} from './engine-adapters/inject.js';
import { AppStartedError, InvalidArgumentError, MethodNotAllowedError, NotFoundError } from './errors.js';
import { type AppListenOptions, listenApp, type Server } from './listen.js';
import { errorFields, type Logger, type LoggerOption, resolveLogger } from './logger.js';
import { generateOpenApi, type OpenApiDocument, type OpenApiOptions } from './openapi/generate-openapi.js';
import { loadReferenceUi } from './openapi/reference-ui.js';
import { errorHeaders, PROBLEM_TYPE, problemFor, viewError } from './problem.js';
import type { ResponseState } from './response-state.js';
import { kMatch, type Route } from './route.js';
import type { Handler, HandlerResult, RouteContext, RouteOptions } from './route-schema.js';
import type { Router } from './router/index.js';
import { RadixRouter } from './router/radix-router/index.js';
import { compileSerializer, type Serializer } from './serialize/compile-serializer.js';
import {
  closeRequest,
  isRequestTraced,
  isWrapped,
  openRequest,
  type RequestTraceContext,
  serveWrapped,
} from './tracing-channels.js';
import { compileValidator } from './validation.js';
import { isPublishRelay, type PublishRelay } from './websocket/publish-relay.js';
import { type WebSocketRouteOptions, webSocketRoutesOf } from './websocket/websocket-routes.js';
import type { WebSocketData } from './websocket/zephyr-websocket.js';
import { writeResponse } from './write-response.js';

/** Options of {@link createApp}. */
export interface AppOptions {
  /** Largest request body, bytes or a size string such as `'1MB'` (default 1 MiB). Routes may override. */
  bodyLimit?: number | string;
  /** Secret for signed cookies (HMAC-SHA256); at least 16 characters. */
  cookieSecret?: string;
  /**
   * Production mode: error bodies never carry a stack, a file path or an unexposed message (a 5xx
   * says only that it failed, with the request id). Default: `NODE_ENV === 'production'`.
   */
  production?: boolean;
  /** Request logging: off by default (errors still go to stderr). `true` uses pino. */
  logger?: LoggerOption;
}

/** Options of {@link App.openapi}. */
export interface OpenApiServeOptions extends OpenApiOptions {
  /** Where the document is served (default `/openapi.json`). */
  path?: string;
  /**
   * Where the reference UI (Swagger UI, from the `swagger-ui-dist` package installed beside the
   * app, never a CDN) is served (default `/docs`); `false` for none.
   */
  ui?: string | false;
}

/** Called before middleware; returning a response (e.g. `return ctx.text(...)`) ends the request there. */
export type OnRequestHook = (ctx: Context) => HandlerResult | Promise<HandlerResult>;
/** Called after the response is written (for metrics, logs); errors in it are logged, not sent. */
export type OnResponseHook = (ctx: Context) => void | Promise<void>;
/** Called with every error a request raises, before the error handler renders it. */
export type OnErrorHook = (err: unknown, ctx: Context) => void | Promise<void>;
/** Renders an error as the response. */
export type ErrorHandler = (err: unknown, ctx: Context) => HandlerResult | Promise<HandlerResult>;
/** Renders the response when no route matches. */
export type NotFoundHandler = (ctx: Context) => HandlerResult | Promise<HandlerResult>;

/**
 * A route-registering method: `(path, handler)` or `(path, options, handler)`. It returns the
 * group with the route added to its type, so a chain of registrations types a client
 * (see {@link createClient}).
 */
export interface RouteMethod<Self, Prefix extends string, Method extends string = string> {
  <Path extends string>(
    path: Path,
    handler: Handler<RouteContext<`${Prefix}${Path}`, Record<never, never>>>,
  ): WithRoute<Self, `${Prefix}${Path}`, Method, Record<never, never>>;
  <Path extends string, const O extends RouteOptions>(
    path: Path,
    options: O,
    handler: Handler<RouteContext<`${Prefix}${Path}`, O>>,
  ): WithRoute<Self, `${Prefix}${Path}`, Method, O>;
}

const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});
const DROP_ON_ERROR = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'etag',
  'last-modified',
]);

/** State shared by an app and all its groups. */
interface AppCore {
  readonly router: Router<Route>;
  readonly routes: Route[];
  readonly bodyLimit: number;
  started: boolean;
}

/**
 * Routes under a common path prefix with their own middleware. The app itself is the root group.
 * Parameters in the prefix are typed in every route of the group.
 *
 * @example
 * ```ts
 * const orgs = app.group('/orgs/:org');
 * orgs.use(requireMember);
 * orgs.get('/users/:id', (ctx) => ctx.json({ org: ctx.params.org, id: ctx.params.id }));
 * ```
 */
export class RouteGroup<Prefix extends string = ''> {
  /** The full path prefix of this group. */
  readonly prefix: Prefix;
  protected readonly core: AppCore;
  /** The enclosing group's middleware chain; `null` for the app itself. */
  readonly #parentChain: (() => Middleware[]) | null;
  readonly #middleware: Middleware[] = [];

  /** @internal Use {@link createApp} and {@link RouteGroup.group}. */
  protected constructor(core: AppCore, prefix: Prefix, parentChain: (() => Middleware[]) | null) {
    this.core = core;
    this.prefix = prefix;
    this.#parentChain = parentChain;
  }

  /** Registers a `GET` route (it also answers `HEAD`, without the body). */
  readonly get: RouteMethod<this, Prefix, 'GET'> = this.#method(['GET']);
  readonly post: RouteMethod<this, Prefix, 'POST'> = this.#method(['POST']);
  readonly put: RouteMethod<this, Prefix, 'PUT'> = this.#method(['PUT']);
  readonly patch: RouteMethod<this, Prefix, 'PATCH'> = this.#method(['PATCH']);
  readonly delete: RouteMethod<this, Prefix, 'DELETE'> = this.#method(['DELETE']);
  readonly options: RouteMethod<this, Prefix, 'OPTIONS'> = this.#method(['OPTIONS']);
  readonly head: RouteMethod<this, Prefix, 'HEAD'> = this.#method(['HEAD']);
  /**
   * Registers a WebSocket route. The upgrade request runs through the app like any `GET`
   * (middleware, params, cookies, errors); the route's `upgrade` decides, and a refusal is the
   * response it would have got over plain HTTP. A plain `GET` to the path gets 426.
   *
   * @example
   * ```ts
   * app.ws('/chat/:room', {
   *   upgrade: (c) => ({ user: c.cookie('user') ?? 'guest' }),
   *   open: (ws) => ws.subscribe(`room:${ws.params.room}`),
   *   message: (ws, text) => app.publish(`room:${ws.params.room}`, { from: ws.data.user, text }),
   * });
   * ```
   */
  ws<Path extends string, S extends z.ZodType | undefined = undefined, Data = undefined>(
    path: Path,
    options: WebSocketRouteOptions<`${Prefix}${Path}`, S, Data>,
  ): this {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`ws ${path}: options must be an object`);
    }
    const routes = webSocketRoutesOf(this.core);
    // The registry is untyped inside; this signature is where params, data and messages are typed.
    const untyped = options as unknown as Parameters<typeof routes.handler>[0];
    return this.on('GET', path, routes.handler(untyped) as never);
  }

  /** Registers a route for GET, POST, PUT, PATCH, DELETE and OPTIONS. */
  readonly all: RouteMethod<this, Prefix, (typeof ALL_METHODS)[number]> = this.#method(ALL_METHODS);

  #method<M extends string>(methods: readonly M[]): RouteMethod<this, Prefix, M> {
    // The route's type exists only for the compiler: at run time the group itself is returned.
    return ((path: string, a: unknown, b?: unknown) => this.#add(methods, path, a, b)) as RouteMethod<
      this,
      Prefix,
      M
    >;
  }

  /** Registers a route for the given methods. */
  on<Path extends string>(
    methods: string | readonly string[],
    path: Path,
    handler: Handler<RouteContext<`${Prefix}${Path}`, Record<never, never>>>,
  ): this;
  on<Path extends string, const O extends RouteOptions>(
    methods: string | readonly string[],
    path: Path,
    options: O,
    handler: Handler<RouteContext<`${Prefix}${Path}`, O>>,
  ): this;
  on(methods: string | readonly string[], path: string, a: unknown, b?: unknown): this {
    const list = (typeof methods === 'string' ? [methods] : methods).map((m) => m.toUpperCase());
    for (const method of list) {
      if (!/^[A-Z]+$/.test(method))
        throw new InvalidArgumentError(`invalid HTTP method ${JSON.stringify(method)}`);
    }
    return this.#add(list, path, a, b);
  }

  /**
   * A sub-group under `prefix`. `configure`, if given, is called with it (handy for nesting);
   * the group is returned either way.
   */
  group<P extends string>(
    prefix: P,
    configure?: (group: RouteGroup<`${Prefix}${P}`>) => void,
  ): RouteGroup<`${Prefix}${P}`> {
    if (!prefix.startsWith('/') || prefix.endsWith('/')) {
      throw new InvalidArgumentError(
        `group prefix must start with '/' and not end with one, got ${JSON.stringify(prefix)}`,
      );
    }
    const group = new RouteGroup<`${Prefix}${P}`>(this.core, `${this.prefix}${prefix}`, () => this.#chain());
    configure?.(group);
    return group;
  }

  /**
   * Adds middleware. On a group it runs for that group's routes (after the app's middleware);
   * on the app it runs for every request, including 404s and 405s.
   */
  use(...middleware: Middleware[]): this {
    if (this.core.started) throw new AppStartedError('middleware');
    for (const fn of middleware) {
      if (typeof fn !== 'function') throw new InvalidArgumentError('middleware must be functions');
    }
    this.#middleware.push(...middleware);
    return this;
  }

  /** This group's own middleware. */
  protected get ownMiddleware(): readonly Middleware[] {
    return this.#middleware;
  }

  #chain(): Middleware[] {
    // The app's own middleware runs globally (around routing), so it is not part of a route chain.
    if (this.#parentChain === null) return [];
    return [...this.#parentChain(), ...this.#middleware];
  }

  #add(methods: readonly string[], path: string, a: unknown, b: unknown): this {
    if (this.core.started) throw new AppStartedError('routes');
    const [options, handler] = (b === undefined ? [{}, a] : [a, b]) as [RouteOptions, Handler];
    if (typeof handler !== 'function')
      throw new InvalidArgumentError(`route ${path}: the handler must be a function`);
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`route ${path}: options must be an object`);
    }
    const fullPath = path === '/' && this.prefix !== '' ? this.prefix : `${this.prefix}${path}`;
    const bodyLimit =
      options.bodyLimit === undefined
        ? this.core.bodyLimit
        : toBytes(options.bodyLimit, `route ${fullPath} bodyLimit`);
    const serializers = compileResponseSerializers(options.response);
    const validate = compileValidator(options);
    for (const method of methods) {
      const route: Route = {
        method,
        path: fullPath,
        handler,
        options,
        groupMiddleware: () => this.#chain(),
        bodyLimit,
        validate,
        serializers,
        run: runHandler(handler, validate),
      };
      this.core.router.add(method, fullPath, route);
      this.core.routes.push(route);
    }
    return this;
  }
}

function compileResponseSerializers(response: RouteOptions['response']): Map<number, Serializer> | null {
  if (response === undefined) return null;
  const map = new Map<number, Serializer>();
  if (typeof (response as { safeParse?: unknown }).safeParse === 'function') {
    map.set(0, compileSerializer(response as Parameters<typeof compileSerializer>[0]));
    return map;
  }
  for (const [status, schema] of Object.entries(
    response as Record<number, Parameters<typeof compileSerializer>[0]>,
  )) {
    map.set(Number(status), compileSerializer(schema));
  }
  return map;
}

function runHandler(
  handler: Handler,
  validate: Route['validate'],
): (ctx: Context) => Promise<void> | undefined {
  if (validate !== null) {
    return async (ctx) => {
      await validate(ctx);
      const result = await handler(ctx);
      if (result instanceof Response) adoptResponse(ctx, result);
    };
  }
  // Without validation a synchronous handler completes synchronously: no promise per request.
  return (ctx) => {
    const result = handler(ctx);
    if (result instanceof Promise) {
      return result.then((value: HandlerResult) => {
        if (value instanceof Response) adoptResponse(ctx, value);
      });
    }
    if (result instanceof Response) adoptResponse(ctx, result);
    return undefined;
  };
}

/** Copies a web `Response` into the context (for handlers written against fetch-style APIs). */
function adoptResponse(ctx: Context, response: Response): void {
  ctx.res.status = response.status;
  for (const [name, value] of response.headers) if (name !== 'set-cookie') ctx.res.headers[name] = value;
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) ctx.res.headers['set-cookie'] = cookies;
  ctx.res.body = response.body;
}

function toBytes(value: number | string, what: string): number {
  try {
    return parseSize(value);
  } catch (err) {
    throw new InvalidArgumentError(`${what}: ${(err as Error).message}`);
  }
}

/**
 * A Zephyr application: routes, middleware, hooks, and three ways in — the engine
 * ({@link App.listen}), `inject` for tests, and `fetch` for any fetch-handler runtime — which
 * all run the same pipeline over the engine's request/response contract.
 */
export class App extends RouteGroup<''> {
  readonly #shared: ContextShared;
  readonly #requestLogs: boolean;
  readonly #onRequest: OnRequestHook[] = [];
  readonly #onResponse: OnResponseHook[] = [];
  readonly #onError: OnErrorHook[] = [];
  #errorHandler: ErrorHandler = defaultErrorHandler;
  #notFoundHandler: NotFoundHandler = defaultNotFoundHandler;
  #pipeline: ((ctx: Context) => Promise<void> | undefined) | null = null;
  /** Whether any hook or request logging is on; if not, requests take the lean path. */
  #observed = false;

  /** @internal Use {@link createApp}. */
  constructor(options: AppOptions = {}) {
    const bodyLimit =
      options.bodyLimit === undefined ? defaultLimits.maxBodyBytes : toBytes(options.bodyLimit, 'bodyLimit');
    super({ router: new RadixRouter<Route>(), routes: [], bodyLimit, started: false }, '', null);
    if (
      options.cookieSecret !== undefined &&
      (typeof options.cookieSecret !== 'string' || options.cookieSecret.length < 16)
    ) {
      throw new InvalidArgumentError('cookieSecret must be a string of at least 16 characters');
    }
    const { logger, requestLogs } = resolveLogger(options.logger);
    this.#requestLogs = requestLogs;
    this.#shared = {
      cookieSecret: options.cookieSecret,
      logger,
      production: options.production ?? process.env.NODE_ENV === 'production',
    };
  }

  /**
   * Sends `data` to every WebSocket subscribed to `topic` (see `ws.subscribe`), on every
   * listener of this process: strings as text, bytes as binary, other values as JSON, encoded
   * once. Returns how many connections it went to.
   */
  publish(topic: string, data: WebSocketData): number {
    return webSocketRoutesOf(this.core).publish(topic, data);
  }

  /**
   * Carries `app.publish` to other processes and theirs to this one's subscribers, through
   * `relay` (e.g. `system.topicRelay()` of `@zephyr/runtime` in distributed mode, over NATS).
   * Local subscribers get a publish first and whatever the relay does; a relay that reaches
   * every process replaces the worker channel under `workers: N`. One relay per app.
   *
   * @throws {InvalidArgumentError} when `relay` lacks `send`/`receive`, or a relay is already set.
   */
  relayPublishes(relay: PublishRelay): this {
    if (!isPublishRelay(relay))
      throw new InvalidArgumentError('relayPublishes: relay must have send and receive functions');
    if (!webSocketRoutesOf(this.core).relayThrough(relay, this.#shared.logger))
      throw new InvalidArgumentError('relayPublishes: this app already has a publish relay');
    return this;
  }

  /** @internal The engine's side of the WebSocket routes, for `listen`; none without routes. */
  websocketServing(limits: Partial<WebSocketLimits> | undefined): WebSocketServing | undefined {
    const routes = webSocketRoutesOf(this.core);
    return routes.count === 0 ? undefined : routes.serving(this, limits);
  }

  /** The app's logger. */
  get log(): Logger {
    return this.#shared.logger;
  }

  /** The largest body limit of the app and its routes (the engine's limit is set to it). */
  get maxBodyLimit(): number {
    return this.core.routes.reduce((max, route) => Math.max(max, route.bodyLimit), this.core.bodyLimit);
  }

  /**
   * Serves the OpenAPI 3.1 document of every route (from their zod schemas) at `path`, and a
   * reference UI at `ui`. The document is generated once, on its first request, when every route
   * is registered.
   *
   * @example
   * ```ts
   * app.openapi({ info: { title: 'Notes', version: '1.0.0' } }); // GET /openapi.json, GET /docs
   * ```
   */
  openapi(options: OpenApiServeOptions = {}): this {
    const path = options.path ?? '/openapi.json';
    const uiPath = options.ui ?? '/docs';
    for (const [name, value] of [
      ['path', path],
      ['ui', uiPath],
    ] as const) {
      if (value !== false && (typeof value !== 'string' || !value.startsWith('/') || value.includes(':'))) {
        throw new InvalidArgumentError(
          `openapi: ${name} must be a static path starting with '/', got ${JSON.stringify(value)}`,
        );
      }
    }
    const hidden = { docs: { hidden: true } };
    let document: OpenApiDocument | undefined;
    this.get(path, hidden, (ctx) => {
      document ??= this.openApiDocument(options);
      return ctx.json(document);
    });
    if (uiPath !== false) {
      const ui = loadReferenceUi();
      const title = `${options.info?.title ?? 'API'} reference`;
      this.get(uiPath, hidden, (ctx) => ctx.html(ui.page(path, `${uiPath}/assets`, title)));
      this.get(`${uiPath}/assets/:name`, hidden, (ctx) => {
        const asset = ui.asset(ctx.params.name);
        if (asset === undefined) throw new NotFoundError(ctx.req.method, ctx.req.path, 'no such asset');
        ctx.header('cache-control', 'public, max-age=86400');
        return ctx.file(asset.path, { length: asset.size, contentType: asset.contentType });
      });
    }
    return this;
  }

  /** The OpenAPI 3.1 document of the app's routes, from their zod schemas (see {@link App.openapi}). */
  openApiDocument(options: OpenApiOptions = {}): OpenApiDocument {
    return generateOpenApi(this.core.routes, options);
  }

  /** Adds a lifecycle hook. */
  addHook(name: 'onRequest', hook: OnRequestHook): this;
  addHook(name: 'onResponse', hook: OnResponseHook): this;
  addHook(name: 'onError', hook: OnErrorHook): this;
  addHook(
    name: 'onRequest' | 'onResponse' | 'onError',
    hook: OnRequestHook | OnResponseHook | OnErrorHook,
  ): this {
    if (this.core.started) throw new AppStartedError('hooks');
    if (typeof hook !== 'function') throw new InvalidArgumentError(`${name} hook must be a function`);
    if (name === 'onRequest') this.#onRequest.push(hook as OnRequestHook);
    else if (name === 'onResponse') this.#onResponse.push(hook as OnResponseHook);
    else if (name === 'onError') this.#onError.push(hook as OnErrorHook);
    else throw new InvalidArgumentError(`unknown hook ${JSON.stringify(name)}`);
    return this;
  }

  /** Replaces the error handler (default: an `application/problem+json` response). */
  setErrorHandler(handler: ErrorHandler): this {
    if (typeof handler !== 'function') throw new InvalidArgumentError('the error handler must be a function');
    this.#errorHandler = handler;
    return this;
  }

  /** Replaces the not-found handler (default: a 404 problem response). */
  setNotFoundHandler(handler: NotFoundHandler): this {
    if (typeof handler !== 'function')
      throw new InvalidArgumentError('the not-found handler must be a function');
    this.#notFoundHandler = handler;
    return this;
  }

  /**
   * Serves one request given as the engine's request and response: the single entry point that
   * the engine, `inject` and `fetch` all use. Pass it to `listen` from `@zephyr/uring` directly.
   */
  readonly handle = (req: EngineRequest, res: EngineResponse): Promise<void> | undefined => {
    const pipeline = this.#pipeline ?? this.#start();
    const match = this.core.router.match(req.method, req.path);
    let ctx: Context;
    if (match.found) {
      const route = match.value;
      ctx = new Context(this.#shared, req, route.bodyLimit, route, match.params);
      ctx[kMatch] = route;
    } else {
      ctx = new Context(this.#shared, req, this.core.bodyLimit, null, NO_PARAMS);
      ctx[kMatch] = match.allow;
    }
    if (isRequestTraced()) return this.#serveTraced(ctx, pipeline, req, res);
    return this.#serve(ctx, pipeline, req, res);
  };

  // The traced paths live apart from `handle`, and the closure a scope needs apart from both: a
  // function holding a closure over its arguments allocates their context on every call, even
  // when the closure is never made (an untraced or unsampled request).
  #serveTraced(
    ctx: Context,
    pipeline: (ctx: Context) => Promise<void> | undefined,
    req: EngineRequest,
    res: EngineResponse,
  ): Promise<void> | undefined {
    const data = openRequest(ctx, req);
    const pending = isWrapped(data)
      ? this.#serveWrapped(data, ctx, pipeline, req, res)
      : this.#serve(ctx, pipeline, req, res);
    return closeRequest(data, ctx, pending);
  }

  #serveWrapped(
    data: RequestTraceContext,
    ctx: Context,
    pipeline: (ctx: Context) => Promise<void> | undefined,
    req: EngineRequest,
    res: EngineResponse,
  ): Promise<void> | undefined {
    return serveWrapped(data, () => this.#serve(ctx, pipeline, req, res));
  }

  /**
   * Runs a request through the app without a socket, for tests.
   *
   * @example
   * ```ts
   * const res = await app.inject({ method: 'POST', url: '/users', body: { name: 'Ada' } });
   * expect(res.status).toBe(201);
   * expect(res.json()).toEqual({ id: 1, name: 'Ada' });
   * ```
   */
  async inject(options: InjectOptions): Promise<InjectResult> {
    const req = new InjectRequest(options);
    const res = new InjectResponse(req);
    await this.handle(req, res);
    return res.result;
  }

  /**
   * Serves a web `Request`, returning a web `Response`: a Zephyr app runs wherever a fetch
   * handler runs (Bun, Deno, workers, service workers, tests).
   */
  readonly fetch = (request: Request): Promise<Response> => {
    const req = new FetchRequest(request);
    const res = new FetchResponse(req);
    Promise.resolve(this.handle(req, res)).catch((err: unknown) => res.fail(err));
    return res.response;
  };

  /**
   * Serves the app on the `@zephyr/uring` engine (io_uring, or node:http where io_uring is
   * missing), in this process or in `workers` processes on one port.
   *
   * @example
   * ```ts
   * const server = await app.listen({ port: 3000, workers: 'auto' });
   * console.log(`listening on ${server.port} with ${server.engine}`);
   * ```
   */
  listen(options: AppListenOptions = {}): Promise<Server> {
    this.#pipeline ?? this.#start();
    return listenApp(this, options);
  }

  /** Freezes the app: composes every chain once; later registration throws. */
  #start(): (ctx: Context) => Promise<void> | undefined {
    this.core.started = true;
    this.#observed =
      this.#requestLogs ||
      this.#onRequest.length > 0 ||
      this.#onResponse.length > 0 ||
      this.#onError.length > 0;
    for (const route of this.core.routes) {
      const middleware = [...route.groupMiddleware(), ...(route.options.middleware ?? [])];
      route.run = compose(middleware, route.run);
    }
    const dispatch = (ctx: Context): Promise<void> | undefined => {
      const matched = ctx[kMatch];
      if (typeof matched === 'object' && matched !== null) return matched.run(ctx);
      if (typeof matched === 'string') {
        return Promise.reject(new MethodNotAllowedError(ctx.req.method, ctx.req.path, matched));
      }
      return this.#notFound(ctx);
    };
    this.#pipeline = compose(this.ownMiddleware, dispatch);
    return this.#pipeline;
  }

  async #notFound(ctx: Context): Promise<void> {
    const result = await this.#notFoundHandler(ctx);
    if (result instanceof Response) adoptResponse(ctx, result);
  }

  #serve(
    ctx: Context,
    pipeline: (ctx: Context) => Promise<void> | undefined,
    req: EngineRequest,
    res: EngineResponse,
  ): Promise<void> | undefined {
    if (this.#observed) return this.#serveObserved(ctx, pipeline, req, res);
    // The lean path: no hooks, no logs; a synchronous handler is answered without a promise.
    let pending: Promise<void> | undefined;
    try {
      pending = pipeline(ctx);
    } catch (err) {
      return this.#renderError(err, ctx).then(() => this.#write(ctx, req, res));
    }
    if (pending === undefined) return this.#write(ctx, req, res);
    return pending.then(
      () => this.#write(ctx, req, res),
      (err: unknown) => this.#renderError(err, ctx).then(() => this.#write(ctx, req, res)),
    );
  }

  async #serveObserved(
    ctx: Context,
    pipeline: (ctx: Context) => Promise<void> | undefined,
    req: EngineRequest,
    res: EngineResponse,
  ): Promise<void> {
    if (this.#requestLogs) ctx.startTime = performance.now();
    try {
      let answered = false;
      for (const hook of this.#onRequest) {
        const result = await hook(ctx);
        if (result !== undefined) {
          if (result instanceof Response) adoptResponse(ctx, result);
          answered = true;
          break;
        }
      }
      if (!answered) await pipeline(ctx);
    } catch (err) {
      await this.#renderError(err, ctx);
    }
    await this.#write(ctx, req, res);
    for (const hook of this.#onResponse) {
      try {
        await hook(ctx);
      } catch (err) {
        this.#shared.logger.error({ ...errorFields(err), ...requestFields(ctx) }, 'onResponse hook failed');
      }
    }
    if (this.#requestLogs) {
      this.#shared.logger.info(
        {
          ...requestFields(ctx),
          status: ctx.res.status,
          route: ctx.routePath,
          ms: Math.round((performance.now() - ctx.startTime) * 1000) / 1000,
        },
        'request completed',
      );
    }
  }

  /** Writes the response; a failure there (e.g. a stream erroring midway) is logged and ends the exchange. */
  #write(ctx: Context, req: EngineRequest, res: EngineResponse): Promise<void> | undefined {
    try {
      return writeResponse(ctx.res, req, res)?.catch((err: unknown) => this.#writeFailed(err, ctx, res));
    } catch (err) {
      this.#writeFailed(err, ctx, res);
      return undefined;
    }
  }

  #writeFailed(err: unknown, ctx: Context, res: EngineResponse): void {
    this.#shared.logger.error({ ...errorFields(err), ...requestFields(ctx) }, 'writing the response failed');
    if (!res.headersSent) res.status(500).end();
    else if (!res.finished) res.destroy();
  }

  async #renderError(err: unknown, ctx: Context): Promise<void> {
    ctx.error = err;
    for (const hook of this.#onError) {
      try {
        await hook(err, ctx);
      } catch (hookErr) {
        this.#shared.logger.error({ ...errorFields(hookErr), ...requestFields(ctx) }, 'onError hook failed');
      }
    }
    const view = viewError(err);
    if (view.status >= 500) {
      // A server error's body names the request id, so the report and this log line meet.
      if (ctx.requestId === '') {
        ctx.requestId = randomUUID();
        ctx.res.headers['x-request-id'] = ctx.requestId;
      }
      this.#shared.logger.error(
        { ...errorFields(err), status: view.status, ...requestFields(ctx) },
        'request failed',
      );
    } else {
      // The client's mistake: worth a line, not a stack.
      this.#shared.logger.info(
        { err: { code: view.code, message: view.message }, status: view.status, ...requestFields(ctx) },
        'request refused',
      );
    }
    // Headers set on the way in (CORS, request id, cookies) stay; those describing the old body go.
    for (const name of Object.keys(ctx.res.headers))
      if (DROP_ON_ERROR.has(name)) delete ctx.res.headers[name];
    ctx.res.status = 200;
    ctx.res.body = null;
    try {
      const result = await this.#errorHandler(err, ctx);
      if (result instanceof Response) adoptResponse(ctx, result);
    } catch (handlerErr) {
      this.#shared.logger.error(
        { ...errorFields(handlerErr), ...requestFields(ctx) },
        'the error handler failed',
      );
      defaultErrorHandler(handlerErr, ctx);
    }
  }
}

function requestFields(ctx: Context): Record<string, unknown> {
  return ctx.requestId === ''
    ? { method: ctx.req.method, url: ctx.req.url }
    : { reqId: ctx.requestId, method: ctx.req.method, url: ctx.req.url };
}

/**
 * The default error handler: an RFC 9457 problem document (see README, "Errors"). Any error with
 * a numeric `status` (or `statusCode`) is answered with it; `expose` decides whether its message
 * is shown.
 */
export function defaultErrorHandler(err: unknown, ctx: Context): ResponseState {
  const problem = problemFor(err, ctx.production, ctx.requestId);
  for (const [name, value] of Object.entries(errorHeaders(err, viewError(err)))) ctx.header(name, value);
  ctx.res.headers['content-type'] = PROBLEM_TYPE;
  return ctx.send(JSON.stringify(problem), problem.status);
}

function defaultNotFoundHandler(ctx: Context): ResponseState {
  return defaultErrorHandler(new NotFoundError(ctx.req.method, ctx.req.path), ctx);
}

/**
 * Creates an app.
 *
 * @example
 * ```ts
 * import { createApp } from '@zephyr/server';
 * const app = createApp();
 * app.get('/users/:id', (ctx) => ctx.json({ id: ctx.params.id }));
 * await app.listen({ port: 3000 });
 * ```
 */
export function createApp(options: AppOptions = {}): App {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('createApp options must be an object');
  return new App(options);
}
