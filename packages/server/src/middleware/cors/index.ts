import type { Middleware } from '../../compose.js';
import { InvalidArgumentError } from '../../errors.js';

/** Options of {@link cors}. */
export interface CorsOptions {
  /**
   * Allowed origins: `'*'` (default), one origin, a list, or a predicate. With a list or a
   * predicate the request's origin is echoed back and `Vary: Origin` is added.
   */
  origin?: '*' | string | readonly string[] | ((origin: string) => boolean);
  /** Methods allowed in preflight (default GET, HEAD, PUT, PATCH, POST, DELETE). */
  methods?: readonly string[];
  /** Request headers allowed in preflight (default: those the preflight asks for). */
  allowHeaders?: readonly string[];
  /** Response headers exposed to scripts. */
  exposeHeaders?: readonly string[];
  /** Allow cookies and auth (not combinable with origin `'*'`, per the Fetch standard). */
  credentials?: boolean;
  /** Seconds a preflight may be cached (`Access-Control-Max-Age`). */
  maxAge?: number;
}

/**
 * CORS for the whole app (register with `app.use`, so preflights to any path are answered even
 * without an OPTIONS route): preflight requests get 204 with the allow headers; other requests
 * from an allowed origin get `Access-Control-Allow-Origin` and friends.
 */
export function cors(options: CorsOptions = {}): Middleware {
  const origin = options.origin ?? '*';
  if (options.credentials && origin === '*') {
    throw new InvalidArgumentError(
      "cors: credentials cannot be combined with origin '*'; list the allowed origins",
    );
  }
  const methods = (options.methods ?? ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE']).join(', ');
  const allowHeaders = options.allowHeaders?.join(', ');
  const exposeHeaders = options.exposeHeaders?.join(', ');
  const allows = (requestOrigin: string): boolean =>
    typeof origin === 'function'
      ? origin(requestOrigin)
      : typeof origin === 'string'
        ? origin === '*' || origin === requestOrigin
        : origin.includes(requestOrigin);
  const varies = origin !== '*';
  return async (ctx, next) => {
    const requestOrigin = ctx.req.header('origin');
    if (requestOrigin === undefined) return next();
    const allowed = allows(requestOrigin);
    const headers = ctx.res.headers;
    if (varies) headers.vary = headers.vary === undefined ? 'origin' : `${headers.vary}, origin`;
    if (allowed) {
      headers['access-control-allow-origin'] = origin === '*' ? '*' : requestOrigin;
      if (options.credentials) headers['access-control-allow-credentials'] = 'true';
      if (exposeHeaders) headers['access-control-expose-headers'] = exposeHeaders;
    }
    const preflight =
      ctx.req.method === 'OPTIONS' && ctx.req.header('access-control-request-method') !== undefined;
    if (!preflight) return next();
    if (allowed) {
      headers['access-control-allow-methods'] = methods;
      const requested = ctx.req.header('access-control-request-headers');
      const headerList = allowHeaders ?? requested;
      if (headerList) headers['access-control-allow-headers'] = headerList;
      if (options.maxAge !== undefined) headers['access-control-max-age'] = String(options.maxAge);
    }
    // A preflight is answered here, allowed or not: the browser reads the (missing) allow headers.
    ctx.res.status = 204;
    ctx.res.body = null;
  };
}
