import { Readable } from 'node:stream';
import { brotliCompressSync, constants, createBrotliCompress, createGzip, gzipSync } from 'node:zlib';
import type { Middleware } from '../../compose.js';
import { InvalidArgumentError } from '../../errors.js';
import { FileBody } from '../../response-state.js';
import { type Encoding, negotiateEncoding } from '../accept-encoding.js';

/** Options of {@link compress}. */
export interface CompressOptions {
  /** Bodies smaller than this many bytes are sent as is (default 1024): compressing them costs more than it saves. */
  threshold?: number;
  /** Codings in order of preference among equal q-values (default `['br', 'gzip']`). */
  encodings?: readonly Encoding[];
  /** Brotli quality 0..11 (default 4: near gzip's speed, better ratio). */
  brotliQuality?: number;
  /** gzip level 1..9 (default 6). */
  gzipLevel?: number;
}

/** Types that are already compressed (or are not worth it); anything else textual is compressed. */
const COMPRESSIBLE =
  /^(text\/|application\/(json|javascript|xml|.*\+json|.*\+xml|x-www-form-urlencoded|wasm)|image\/svg\+xml)/i;

/**
 * Compresses response bodies with brotli or gzip, negotiated from `Accept-Encoding` q-values.
 * Skipped for small bodies, already-compressed types (images, video, archives, fonts), responses
 * that already have a `content-encoding`, ranges, and files sent zero-copy (compressing them
 * would defeat the zero-copy path; pre-compress static assets instead). Adds `Vary`.
 * Register it before `etag()` so the ETag describes the uncompressed representation.
 */
export function compress(options: CompressOptions = {}): Middleware {
  const threshold = options.threshold ?? 1024;
  const encodings = options.encodings ?? ['br', 'gzip'];
  const brotliQuality = options.brotliQuality ?? 4;
  const gzipLevel = options.gzipLevel ?? 6;
  if (!Number.isInteger(threshold) || threshold < 0)
    throw new InvalidArgumentError('compress: threshold must be a non-negative integer');
  return async (ctx, next) => {
    await next();
    const res = ctx.res;
    const body = res.body;
    if (body === null || body instanceof FileBody || ctx.req.method === 'HEAD') return;
    if (res.status < 200 || res.status === 204 || res.status === 206 || res.status === 304) return;
    if (res.headers['content-encoding'] !== undefined) return;
    const type = res.headers['content-type'];
    if (typeof type !== 'string' || !COMPRESSIBLE.test(type)) return;
    const size =
      typeof body === 'string' ? Buffer.byteLength(body) : body instanceof Uint8Array ? body.byteLength : -1;
    if (size !== -1 && size < threshold) return;
    appendVary(res.headers, 'accept-encoding');
    const encoding = negotiateEncoding(ctx.req.header('accept-encoding'), encodings);
    if (encoding === null) return;
    res.headers['content-encoding'] = encoding;
    delete res.headers['content-length'];
    if (size !== -1) {
      const input = typeof body === 'string' ? Buffer.from(body) : (body as Uint8Array);
      res.body =
        encoding === 'br'
          ? brotliCompressSync(input, {
              params: {
                [constants.BROTLI_PARAM_QUALITY]: brotliQuality,
                [constants.BROTLI_PARAM_SIZE_HINT]: size,
              },
            })
          : gzipSync(input, { level: gzipLevel });
      return;
    }
    const source =
      body instanceof ReadableStream
        ? Readable.fromWeb(body as Parameters<typeof Readable.fromWeb>[0])
        : Readable.from(body as AsyncIterable<Uint8Array | string>);
    const zip =
      encoding === 'br'
        ? createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: brotliQuality } })
        : createGzip({ level: gzipLevel });
    source.on('error', (err) => zip.destroy(err));
    res.body = source.pipe(zip);
  };
}

function appendVary(headers: Record<string, string | string[]>, value: string): void {
  const existing = headers.vary;
  if (existing === undefined) headers.vary = value;
  else if (
    !String(existing)
      .toLowerCase()
      .split(/\s*,\s*/)
      .includes(value)
  )
    headers.vary = `${existing}, ${value}`;
}
