import type { Middleware } from './compose.js';
import type { Context, ContextRoute } from './context.js';
import type { Handler, RouteOptions } from './route-schema.js';
import type { Serializer } from './serialize/compile-serializer.js';

/** A registered route, as the router holds it. */
export interface Route extends ContextRoute {
  readonly method: string;
  readonly handler: Handler;
  readonly options: RouteOptions;
  /** Middleware of the enclosing groups, outermost first (read at startup, when all are added). */
  readonly groupMiddleware: () => readonly Middleware[];
  readonly bodyLimit: number;
  readonly validate: ((ctx: Context) => Promise<void>) | null;
  readonly serializers: ReadonlyMap<number, Serializer> | null;
  /** Group middleware + route middleware + validation + handler, composed at startup. */
  run: (ctx: Context) => Promise<void> | undefined;
}

/** Context slot holding what the router found: the route, the `Allow` value of a 405, or `null`. */
export const kMatch: unique symbol = Symbol('zephyr.match');
