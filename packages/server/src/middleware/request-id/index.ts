import { randomUUID } from 'node:crypto';
import type { Middleware } from '../../compose.js';

/** Options of {@link requestId}. */
export interface RequestIdOptions {
  /** Header read from the request and set on the response (default `x-request-id`). */
  header?: string;
  /** Makes a new id (default `crypto.randomUUID`). */
  generate?: () => string;
  /** Reuse a well-formed id sent by the client or a proxy (default true). */
  trustIncoming?: boolean;
}

/** Ids sent by clients are echoed into logs and headers: only short, plain ones are trusted. */
const SAFE_ID = /^[\w\-.:]{1,128}$/;

/** Gives each request an id (`ctx.requestId`, used in logs) and echoes it in a response header. */
export function requestId(options: RequestIdOptions = {}): Middleware {
  const header = (options.header ?? 'x-request-id').toLowerCase();
  const generate = options.generate ?? randomUUID;
  const trust = options.trustIncoming ?? true;
  return (ctx, next) => {
    const incoming = trust ? ctx.req.header(header) : undefined;
    const id = incoming !== undefined && SAFE_ID.test(incoming) ? incoming : generate();
    ctx.requestId = id;
    ctx.res.headers[header] = id;
    return next();
  };
}
