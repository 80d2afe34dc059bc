/** A file sent as the body, zero-copy by the engine where it can (`res.sendFile`). */
export class FileBody {
  constructor(
    readonly path: string,
    readonly offset: number,
    readonly length: number,
  ) {}
}

/** A body that is produced over time. */
export type StreamBody = AsyncIterable<Uint8Array | string> | ReadableStream<Uint8Array>;

/** Every body a response can carry. */
export type ResponseBody = null | string | Uint8Array | StreamBody | FileBody;

/**
 * The response being built. Middleware may change any of it on the way out (after
 * `await next()`); it is written to the engine once, after the middleware chain returns.
 */
export interface ResponseState {
  status: number;
  /** Header names are lower-case; an array sends the field once per value. */
  headers: Record<string, string | string[]>;
  body: ResponseBody;
}
