import type { EngineRequest } from '@zephyr/uring';
import { BodyTooLargeError } from '../errors.js';

/**
 * Throws {@link BodyTooLargeError} if the declared `Content-Length` exceeds `limit`, so an
 * oversized upload is refused before a byte of it is read.
 */
export function checkDeclaredLength(req: EngineRequest, limit: number): void {
  const declared = req.header('content-length');
  if (declared !== undefined && Number(declared) > limit) throw new BodyTooLargeError(limit);
}

/**
 * The body as it arrives, counted: past `limit` bytes it throws {@link BodyTooLargeError} and
 * stops reading (chunked uploads have no length to check up front).
 */
export async function* limitedBody(req: EngineRequest, limit: number): AsyncGenerator<Buffer> {
  checkDeclaredLength(req, limit);
  let received = 0;
  for await (const chunk of req.bodyStream()) {
    received += chunk.length;
    if (received > limit) throw new BodyTooLargeError(limit);
    yield chunk;
  }
}

/** Reads the whole body into one buffer, within `limit`. */
export async function readBody(req: EngineRequest, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of limitedBody(req, limit)) {
    chunks.push(chunk);
    size += chunk.length;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}
