// The one interface every router implements, so a router can be swapped (and benchmarked)
// without touching the app. Matching returns shared, pre-built objects wherever it can: a
// static route or a miss costs no allocation on the request path.

/** A successful match: the registered value and the path parameters (decoded). */
export interface RouteFound<T> {
  readonly found: true;
  readonly value: T;
  readonly params: Readonly<Record<string, string>>;
}

/** A miss: `allow` is `null` when no route has the path (404), else the methods that do (405). */
export interface RouteMissed {
  readonly found: false;
  readonly allow: string | null;
}

/** What {@link Router.match} returns. */
export type RouteMatch<T> = RouteFound<T> | RouteMissed;

/** Maps (method, path) to a value. */
export interface Router<T> {
  /**
   * Registers `value` for `method` and a path pattern: static text, `:name` segments and a
   * trailing `*` wildcard. Throws `RouteConflictError` if another route would match the same
   * requests, `InvalidRouteError` if the pattern is malformed.
   */
  add(method: string, path: string, value: T): void;
  /** Finds the value for a request. `HEAD` falls back to `GET` when no `HEAD` route exists. */
  match(method: string, path: string): RouteMatch<T>;
}
