import type {
  EngineRequest,
  EngineResponse,
  EngineWebSocket,
  WebSocketHandlers,
  WebSocketHub,
  WebSocketLimits,
  WebSocketServing,
} from '@zephyr/uring';
import type { z } from 'zod';
import type { Context } from '../context.js';
import { errorFields, type Logger } from '../logger.js';
import type { PathParams } from '../path-params.js';
import type { RouteContext } from '../route-schema.js';
import { CLOSE_INVALID_MESSAGE, type MessageIssue, WebSocketMessageError } from './message-error.js';
import type { PublishRelay } from './publish-relay.js';
import { UpgradeResponse } from './upgrade-response.js';
import { joinWorkerRelay } from './worker-relay.js';
import { encodeMessage, type WebSocketData, ZephyrWebSocket } from './zephyr-websocket.js';

/** What a route's `message` receives: the schema's output, else text as a string and binary as a Buffer. */
export type WebSocketMessage<S> = S extends z.ZodType ? z.output<S> : string | Buffer;

/**
 * Options of `app.ws(path, options)`. `upgrade` runs after the app's middleware, with the
 * request's params, headers and cookies: throw (e.g. `HttpError(401)`) to refuse with that status,
 * or return the connection's `data`.
 */
export interface WebSocketRouteOptions<Path extends string, S extends z.ZodType | undefined, Data> {
  /** Decides on the upgrade; its return value becomes `ws.data`. Throw to refuse. */
  upgrade?: (ctx: RouteContext<Path, Record<never, never>>) => Data | Promise<Data>;
  /**
   * Validates every message as JSON text against this schema. A message that is binary, not
   * JSON, or fails it goes to `invalid`; without `invalid` the connection is closed with 1007.
   */
  schema?: S;
  /** Handles a message that failed `schema`; the connection stays open. */
  invalid?: (
    ws: ZephyrWebSocket<PathParams<Path>, Data>,
    error: WebSocketMessageError,
  ) => void | Promise<void>;
  open?: (ws: ZephyrWebSocket<PathParams<Path>, Data>) => void | Promise<void>;
  message?: (
    ws: ZephyrWebSocket<PathParams<Path>, Data>,
    message: WebSocketMessage<S>,
    isBinary: boolean,
  ) => void | Promise<void>;
  /** The client's queue drained after `send` returned `buffered`. */
  drain?: (ws: ZephyrWebSocket<PathParams<Path>, Data>) => void | Promise<void>;
  /** The connection is gone (1005: the peer gave no code; 1006: it vanished). */
  close?: (ws: ZephyrWebSocket<PathParams<Path>, Data>, code: number, reason: string) => void | Promise<void>;
}

/** The untyped view the registry works with. */
interface AnyRouteOptions {
  upgrade?: (ctx: Context) => unknown;
  schema?: z.ZodType;
  invalid?: (ws: ZephyrWebSocket<unknown, unknown>, error: WebSocketMessageError) => unknown;
  open?: (ws: ZephyrWebSocket<unknown, unknown>) => unknown;
  message?: (ws: ZephyrWebSocket<unknown, unknown>, message: unknown, isBinary: boolean) => unknown;
  drain?: (ws: ZephyrWebSocket<unknown, unknown>) => unknown;
  close?: (ws: ZephyrWebSocket<unknown, unknown>, code: number, reason: string) => unknown;
}

interface Accepted {
  options: AnyRouteOptions;
  params: unknown;
  data: unknown;
}

/** What `serving` needs from the app. */
interface Serves {
  readonly handle: (req: EngineRequest, res: EngineResponse) => Promise<void> | undefined;
  readonly log: Logger;
}

/** A close reason fits a control frame: at most 123 bytes of UTF-8, cut at a character boundary. */
export function closeReason(text: string): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= 123) return text;
  let end = 123;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString();
}

function issuesOf(error: z.ZodError): MessageIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/**
 * The WebSocket routes of one app: the upgrade decision (through the app's own pipeline), the
 * connection handlers, and topic publishing over every listener's hub.
 */
export class WebSocketRoutes {
  /** Requests that came in as upgrades; a ws route reached any other way answers 426. */
  readonly #upgrading = new WeakSet<EngineRequest>();
  readonly #accepted = new WeakMap<EngineRequest, Accepted>();
  readonly #hubs = new Set<WebSocketHub>();
  /** In a worker: sends a publish to the other workers (through the primary). */
  #relay: ((topic: string, payload: string | Uint8Array, binary: boolean) => void) | undefined;
  #relayJoined = false;
  /** Across processes (e.g. NATS): set by `app.relayPublishes`, it takes the worker channel's place. */
  #external: { relay: PublishRelay; log: Logger } | undefined;
  count = 0;

  /** The route handler of a ws route: accepts the upgrade, or answers 426 to plain HTTP. */
  handler(options: AnyRouteOptions): (ctx: Context) => Promise<Response | undefined> {
    this.count += 1;
    return async (ctx) => {
      const raw = ctx.req.raw;
      if (!this.#upgrading.has(raw)) {
        return new Response('this route accepts WebSocket connections only', {
          status: 426,
          headers: {
            upgrade: 'websocket',
            connection: 'Upgrade',
            'content-type': 'text/plain; charset=utf-8',
          },
        });
      }
      const data = options.upgrade ? await options.upgrade(ctx) : undefined;
      this.#accepted.set(raw, { options, params: ctx.params, data });
      return undefined;
    };
  }

  /** The engine's side of these routes, for `listen`. */
  serving(app: Serves, limits: Partial<WebSocketLimits> | undefined): WebSocketServing {
    return {
      ...(limits === undefined ? {} : { limits }),
      attach: (hub) => {
        this.#hubs.add(hub);
        if (!this.#relayJoined && this.#external === undefined) {
          this.#relayJoined = true;
          this.#relay = joinWorkerRelay((topic, payload, binary) =>
            this.#publishHere(topic, payload, binary),
          );
        }
      },
      upgrade: async (req) => {
        this.#upgrading.add(req);
        const res = new UpgradeResponse();
        await app.handle(req, res);
        if (!res.finished) await res.done;
        const accepted = this.#accepted.get(req);
        if (accepted === undefined) return { refuse: res.statusCode, headers: res.headers, body: res.body };
        this.#accepted.delete(req);
        return { accept: this.#handlers(accepted, app.log) };
      },
    };
  }

  /**
   * Relays publishes to and from other processes through `relay` (it reaches sibling workers
   * too, so the worker channel is not used once a relay is set). False when one is already set.
   */
  relayThrough(relay: PublishRelay, log: Logger): boolean {
    if (this.#external !== undefined) return false;
    this.#external = { relay, log };
    this.#relay = undefined;
    relay.receive((topic, payload, binary) => {
      try {
        this.#publishHere(topic, payload, binary);
      } catch (err) {
        log.error(errorFields(err), 'relayed publish failed');
      }
    });
    return true;
  }

  /**
   * Sends `data` to every subscriber of `topic` on every listener, encoded once, and under
   * `workers: N` to every other worker's subscribers too; returns how many subscribers of this
   * process got it.
   */
  publish(topic: string, data: WebSocketData): number {
    if (typeof topic !== 'string' || topic === '')
      throw new TypeError('publish: topic must be a non-empty string');
    const { payload, isBinary } = encodeMessage(data);
    // Here first: whatever happens to the relay, local subscribers get it.
    const delivered = this.#publishHere(topic, payload, isBinary);
    this.#relay?.(topic, payload, isBinary);
    if (this.#external !== undefined) {
      try {
        this.#external.relay.send(topic, payload, isBinary);
      } catch (err) {
        this.#external.log.error(errorFields(err), 'publish relay failed; delivered in this process only');
      }
    }
    return delivered;
  }

  #publishHere(topic: string, payload: string | Uint8Array, isBinary: boolean): number {
    let delivered = 0;
    for (const hub of this.#hubs) delivered += hub.publish(topic, payload, isBinary);
    return delivered;
  }

  #handlers({ options, params, data }: Accepted, log: Logger): WebSocketHandlers {
    const sockets = new WeakMap<EngineWebSocket, ZephyrWebSocket<unknown, unknown>>();
    const wrap = (socket: EngineWebSocket): ZephyrWebSocket<unknown, unknown> => {
      let ws = sockets.get(socket);
      if (!ws) {
        ws = new ZephyrWebSocket(socket, params, data);
        sockets.set(socket, ws);
      }
      return ws;
    };
    // A handler's rejection must not become an unhandled rejection: log it and close with 1011.
    const run = (socket: EngineWebSocket, what: string, result: unknown): void => {
      if (result instanceof Promise) {
        result.catch((err: unknown) => {
          log.error(errorFields(err), `websocket ${what} handler failed`);
          socket.close(1011, 'internal error');
        });
      }
    };
    const invalid = (socket: EngineWebSocket, error: WebSocketMessageError): void => {
      if (options.invalid) run(socket, 'invalid', options.invalid(wrap(socket), error));
      else socket.close(CLOSE_INVALID_MESSAGE, closeReason(error.message));
    };
    const schema = options.schema;
    return {
      open: (socket) => run(socket, 'open', options.open?.(wrap(socket))),
      message: (socket, bytes, isBinary) => {
        if (schema === undefined) {
          run(
            socket,
            'message',
            options.message?.(wrap(socket), isBinary ? bytes : bytes.toString(), isBinary),
          );
          return;
        }
        if (isBinary) {
          invalid(
            socket,
            new WebSocketMessageError([{ path: '', message: 'expected a JSON text message, got binary' }]),
          );
          return;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(bytes.toString());
        } catch {
          invalid(socket, new WebSocketMessageError([{ path: '', message: 'message is not valid JSON' }]));
          return;
        }
        const result = schema.safeParse(parsed);
        if (!result.success) invalid(socket, new WebSocketMessageError(issuesOf(result.error)));
        else run(socket, 'message', options.message?.(wrap(socket), result.data, false));
      },
      drain: (socket) => run(socket, 'drain', options.drain?.(wrap(socket))),
      close: (socket, code, reason) => run(socket, 'close', options.close?.(wrap(socket), code, reason)),
    };
  }
}

/** One registry per app, shared by its groups. */
const registries = new WeakMap<object, WebSocketRoutes>();

/** The WebSocket routes registered on the app owning `core`. */
export function webSocketRoutesOf(core: object): WebSocketRoutes {
  let routes = registries.get(core);
  if (!routes) {
    routes = new WebSocketRoutes();
    registries.set(core, routes);
  }
  return routes;
}
