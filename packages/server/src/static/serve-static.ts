import { close, createReadStream, existsSync } from 'node:fs';
import type { Context } from '../context.js';
import { InvalidArgumentError, NotFoundError, RangeNotSatisfiableError } from '../errors.js';
import { ifNoneMatch } from '../middleware/etag/index.js';
import { FileBody } from '../response-state.js';
import type { Handler } from '../route-schema.js';
import { contentTypeFor } from './content-type.js';
import { parseRange } from './range.js';
import { openStaticFile, openStaticRoot, type StaticRoot } from './resolve-path.js';

/** Read streams of files never read (middleware replaced the body): their descriptor is closed once collected. */
const unreadStreams = new FinalizationRegistry<number>((fd) => close(fd, () => {}));

/** A stream of `length` bytes of `fd` from `start`; it owns and closes the descriptor. */
function fileStream(fd: number, start: number, length: number) {
  const stream = createReadStream('', { fd, start, end: start + length - 1, autoClose: true });
  unreadStreams.register(stream, fd, stream);
  stream.once('close', () => unreadStreams.unregister(stream));
  return stream;
}

/** Options of {@link serveStatic}. */
export interface ServeStaticOptions {
  /** The directory served; nothing outside it is ever read. */
  root: string;
  /** File served for a directory (default `index.html`; `false` for none). */
  index?: string | false;
  /** `Cache-Control: public, max-age=…` in seconds (default 0). */
  maxAge?: number;
  /** Add `immutable` to `Cache-Control` (for fingerprinted assets). */
  immutable?: boolean;
  /** Serve files and directories whose name starts with `.` (default false: they are 404). */
  dotfiles?: boolean;
  /** Send with the engine's zero-copy `sendFile` (default true); false streams through JS. */
  zeroCopy?: boolean;
}

/**
 * A handler serving files under `root` for a wildcard route: ranges (206/416), conditional GET
 * (304 from `If-None-Match` or `If-Modified-Since`), content types, and a path check against
 * every known escape from the root (see `openStaticFile`). Files are opened beneath the root
 * following no symlink, in one step: a symlink on the path is 403, even one that stays inside
 * the root. The root directory is held open for the life of the handler. Unknown files are a 404
 * (`ZEPHYR_ERR_NOT_FOUND`) problem document, like every other error.
 *
 * @example
 * ```ts
 * app.get('/assets/*', serveStatic({ root: new URL('./public', import.meta.url).pathname, maxAge: 3600 }));
 * ```
 */
export function serveStatic(options: ServeStaticOptions): Handler<Context> {
  if (typeof options?.root !== 'string' || options.root === '') {
    throw new InvalidArgumentError('serveStatic: root is required');
  }
  if (!existsSync(options.root))
    throw new InvalidArgumentError(`serveStatic: root ${options.root} does not exist`);
  let root: StaticRoot;
  try {
    root = openStaticRoot(options.root);
  } catch (err) {
    throw new InvalidArgumentError(
      `serveStatic: root ${options.root} is not a readable directory (${(err as Error).message})`,
    );
  }
  const index = options.index ?? 'index.html';
  const dotfiles = options.dotfiles ?? false;
  const zeroCopy = options.zeroCopy ?? true;
  const cacheControl = `public, max-age=${Math.max(0, Math.floor(options.maxAge ?? 0))}${options.immutable ? ', immutable' : ''}`;
  return async (ctx) => {
    const opened = await openStaticFile(root, wildcardRaw(ctx), { index, dotfiles });
    if (opened.kind === 'missing') throw new NotFoundError(ctx.req.method, ctx.req.path, 'no such file');
    // From here the descriptor belongs to the body; every other way out closes it.
    const { fd, name, stats } = opened;
    let handedOver = false;
    try {
      const size = stats.size;
      const mtime = new Date(Math.floor(stats.mtimeMs / 1000) * 1000);
      // Strong (like nginx's): size and mtime change together with the bytes, so If-Range can use it.
      const tag = `"${size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
      const headers = ctx.res.headers;
      headers.etag = tag;
      headers['last-modified'] = mtime.toUTCString();
      headers['cache-control'] = cacheControl;
      headers['accept-ranges'] = 'bytes';
      headers['content-type'] = contentTypeFor(name);
      if (notModified(ctx, tag, mtime)) {
        ctx.res.status = 304;
        delete headers['content-type'];
        return;
      }
      let start = 0;
      let length = size;
      const rangeHeader = ctx.req.header('range');
      if (rangeHeader !== undefined && rangeApplies(ctx.req.header('if-range'), tag, mtime)) {
        const range = parseRange(rangeHeader, size);
        if (range === 'unsatisfiable') throw new RangeNotSatisfiableError(size);
        if (range !== null) {
          start = range.start;
          length = range.end - range.start + 1;
          ctx.res.status = 206;
          headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
        }
      }
      if (zeroCopy) {
        handedOver = true;
        ctx.send(new FileBody(name, start, length, fd));
        return;
      }
      headers['content-length'] = String(length);
      if (length === 0) ctx.send('');
      else {
        handedOver = true;
        ctx.send(fileStream(fd, start, length));
      }
    } finally {
      if (!handedOver) close(fd, () => {});
    }
  };
}

/** The part of the raw (still encoded) path that the route's trailing `*` matched. */
function wildcardRaw(ctx: Context): string {
  const depth = ctx.routePath.split('/').length - 1;
  return ctx.req.path.split('/').slice(depth).join('/');
}

function notModified(ctx: Context, tag: string, mtime: Date): boolean {
  const method = ctx.req.method;
  if (method !== 'GET' && method !== 'HEAD') return false;
  const inm = ctx.req.header('if-none-match');
  // If-None-Match takes precedence: If-Modified-Since is ignored when it is present (RFC 9110 §13.1.3).
  if (inm !== undefined) return ifNoneMatch(inm, tag);
  const ims = ctx.req.header('if-modified-since');
  if (ims === undefined) return false;
  const since = Date.parse(ims);
  return Number.isFinite(since) && mtime.getTime() <= since;
}

function rangeApplies(ifRange: string | undefined, tag: string, mtime: Date): boolean {
  if (ifRange === undefined) return true;
  // If-Range compares strongly: the same strong tag, or exactly the Last-Modified date.
  if (ifRange.startsWith('"')) return ifRange === tag;
  if (ifRange.startsWith('W/')) return false;
  const date = Date.parse(ifRange);
  return Number.isFinite(date) && date === mtime.getTime();
}
