import { createHash } from 'node:crypto';
import type { Middleware } from '../../compose.js';

/** Options of {@link etag}. */
export interface EtagOptions {
  /** Weak validators (`W/"…"`, the default): equal meaning, not necessarily equal bytes. */
  weak?: boolean;
}

/**
 * Adds an `ETag` (a SHA-1 of the body) to 200 responses to GET and HEAD with an in-memory body,
 * and answers a matching `If-None-Match` with 304 and no body. Streams and files are left alone
 * (`serveStatic` sets its own validators from size and mtime).
 */
export function etag(options: EtagOptions = {}): Middleware {
  const weak = options.weak ?? true;
  return async (ctx, next) => {
    await next();
    const { method } = ctx.req;
    const res = ctx.res;
    if ((method !== 'GET' && method !== 'HEAD') || res.status !== 200) return;
    const body = res.body;
    if (typeof body !== 'string' && !(body instanceof Uint8Array)) return;
    let tag = res.headers.etag as string | undefined;
    if (tag === undefined) {
      const hash = createHash('sha1').update(body).digest('base64url').slice(0, 27);
      const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
      tag = `${weak ? 'W/' : ''}"${size.toString(16)}-${hash}"`;
      res.headers.etag = tag;
    }
    if (ifNoneMatch(ctx.req.header('if-none-match'), tag)) {
      res.status = 304;
      res.body = null;
      delete res.headers['content-type'];
      delete res.headers['content-length'];
    }
  };
}

/** Weak comparison (RFC 9110 §13.1.2): whether `If-None-Match` lists the tag, or is `*`. */
export function ifNoneMatch(header: string | undefined, tag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = tag.startsWith('W/') ? tag.slice(2) : tag;
  for (const candidate of header.split(',')) {
    const trimmed = candidate.trim();
    if ((trimmed.startsWith('W/') ? trimmed.slice(2) : trimmed) === opaque) return true;
  }
  return false;
}
