import type { EngineRequest, EngineResponse } from '@zephyr/uring';
import { FileBody, type ResponseState } from './response-state.js';

/**
 * Writes the finished response state to the engine: head, then body by kind. Which responses
 * carry a body (none for HEAD, 1xx, 204, 304) and the `content-length` a HEAD gets are the
 * engine's rules (`ResponseWriter` in the io_uring engine's Rust core, node:http in the node
 * engine), so the body is always handed over; only a stream is not run for HEAD.
 *
 * A body written at once (none, a string, bytes) returns `undefined`, not a promise: most
 * responses are that, and a request answered synchronously then costs no promise at all
 * (nor a continuation in a tracer's channel, which would otherwise wait for it).
 */
export function writeResponse(
  state: ResponseState,
  req: EngineRequest,
  res: EngineResponse,
): Promise<void> | undefined {
  const body = state.body;
  if (!(body instanceof FileBody)) return writeState(state, req, res);
  return writeFile(state, body, req, res);
}

async function writeFile(
  state: ResponseState,
  body: FileBody,
  req: EngineRequest,
  res: EngineResponse,
): Promise<void> {
  try {
    await writeState(state, req, res);
  } finally {
    body.release();
  }
}

function writeState(
  state: ResponseState,
  req: EngineRequest,
  res: EngineResponse,
): Promise<void> | undefined {
  if (res.finished) return undefined;
  res.status(state.status);
  const headers = state.headers;
  for (const name in headers) res.setHeader(name, headers[name]!);
  const body = state.body;
  if (body === null) {
    res.end();
    return undefined;
  }
  if (typeof body === 'string' || body instanceof Uint8Array) {
    res.end(body);
    return undefined;
  }
  if (body instanceof FileBody) {
    return res.sendFile(body.fd ?? body.path, { offset: body.offset, length: body.length });
  }
  if (req.method === 'HEAD') return cancelStream(body).then(() => res.end());
  return pipeStream(body, req, res);
}

async function pipeStream(
  body: AsyncIterable<Uint8Array | string> | ReadableStream<Uint8Array>,
  req: EngineRequest,
  res: EngineResponse,
): Promise<void> {
  let aborted = false;
  req.onAbort(() => {
    aborted = true;
  });
  const iterable = body as AsyncIterable<Uint8Array | string>;
  for await (const chunk of iterable) {
    if (aborted) break;
    if (!res.write(chunk)) {
      // Backpressure: wait until the socket drains (or the client leaves) before producing more.
      await new Promise<void>((resolve) => {
        res.onDrain(resolve);
        req.onAbort(resolve);
      });
    }
  }
  if (aborted) res.destroy();
  else res.end();
}

async function cancelStream(
  body: AsyncIterable<Uint8Array | string> | ReadableStream<Uint8Array>,
): Promise<void> {
  if (body instanceof ReadableStream) await body.cancel();
  else {
    const iterator = (body as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    await iterator.return?.();
  }
}
