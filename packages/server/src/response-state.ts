import { close } from 'node:fs';

/**
 * Descriptors of file bodies that were never written (middleware replaced the body, the
 * response failed first): closed when their owner is collected, so none is held for good.
 */
const unsentDescriptors = new FinalizationRegistry<number>((fd) => close(fd, () => {}));

/**
 * A file sent as the body, zero-copy by the engine where it can (`res.sendFile`). With `fd` the
 * bytes come from that open descriptor (`path` then only names the file) and the body owns it:
 * the response closes it once sent, or once the body is dropped unsent.
 */
export class FileBody {
  #open: boolean;
  constructor(
    readonly path: string,
    readonly offset: number,
    readonly length: number,
    readonly fd?: number,
  ) {
    this.#open = fd !== undefined;
    if (fd !== undefined) unsentDescriptors.register(this, fd, this);
  }

  /** Closes the descriptor, if the body has one; later calls do nothing. */
  release(): void {
    if (!this.#open || this.fd === undefined) return;
    this.#open = false;
    unsentDescriptors.unregister(this);
    // Nothing useful can be done about a failed close of a file only read.
    close(this.fd, () => {});
  }
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
