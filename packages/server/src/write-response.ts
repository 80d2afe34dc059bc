import type { EngineRequest, EngineResponse } from '@zephyr/uring';
import { FileBody, type ResponseState } from './response-state.js';

/** Statuses that never carry a body (RFC 9110 §6.4.1). */
const NO_BODY = new Set([204, 304]);

/**
 * Writes the finished response state to the engine: head, then body by kind. A `HEAD` request
 * gets the head a `GET` would get (with its `content-length` where known) and no body.
 */
export async function writeResponse(
  state: ResponseState,
  req: EngineRequest,
  res: EngineResponse,
): Promise<void> {
  const body = state.body;
  if (!(body instanceof FileBody)) return writeState(state, req, res);
  try {
    await writeState(state, req, res);
  } finally {
    body.release();
  }
}

async function writeState(state: ResponseState, req: EngineRequest, res: EngineResponse): Promise<void> {
  if (res.finished) return;
  const headOnly = req.method === 'HEAD';
  const status = state.status;
  res.status(status);
  const headers = state.headers;
  for (const name in headers) res.setHeader(name, headers[name]!);
  const body = state.body;
  if (body === null || NO_BODY.has(status) || status < 200) {
    res.end();
    return;
  }
  if (typeof body === 'string') {
    if (headOnly) {
      res.setHeader('content-length', String(Buffer.byteLength(body)));
      res.end();
    } else res.end(body);
    return;
  }
  if (body instanceof Uint8Array) {
    if (headOnly) {
      res.setHeader('content-length', String(body.byteLength));
      res.end();
    } else res.end(body);
    return;
  }
  if (body instanceof FileBody) {
    if (headOnly) {
      res.setHeader('content-length', String(body.length));
      res.end();
      return;
    }
    return res.sendFile(body.fd ?? body.path, { offset: body.offset, length: body.length });
  }
  if (headOnly) return cancelStream(body).then(() => res.end());
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
