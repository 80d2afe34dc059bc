import { InvalidBodyError } from '../errors.js';

/** One part of a `multipart/form-data` body. Its data streams: read it before the next part. */
export interface MultipartPart {
  /** The form field name. */
  readonly name: string;
  /** The file name for file parts, `undefined` for plain fields. */
  readonly filename: string | undefined;
  /** The part's content type (default `text/plain` for fields, `application/octet-stream` for files). */
  readonly contentType: string;
  /** The part's bytes as they arrive; iterating applies backpressure to the upload. */
  readonly data: AsyncIterable<Buffer>;
  /** Reads the rest of the part into one buffer. */
  buffer(): Promise<Buffer>;
  /** Reads the rest of the part as UTF-8 text. */
  text(): Promise<string>;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
/** Headers of one part beyond this are refused: they would otherwise be buffered without bound. */
const MAX_PART_HEADER_BYTES = 16 * 1024;

/** Extracts the boundary from a `multipart/form-data; boundary=…` content type. */
export function multipartBoundary(contentType: string): string {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary || boundary.length > 70)
    throw new InvalidBodyError('multipart body without a valid boundary');
  return boundary;
}

/**
 * A streaming `multipart/form-data` parser: it holds at most one chunk plus a boundary's length
 * in memory, so file parts of any size pass through with the body limit as the only bound.
 */
export async function* parseMultipart(
  source: AsyncIterable<Buffer>,
  boundary: string,
): AsyncGenerator<MultipartPart> {
  const iterator = source[Symbol.asyncIterator]();
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // The body starts with `--boundary` (no leading CRLF); prepending CRLF makes every delimiter alike.
  let buf: Buffer = CRLF;
  let done = false;

  const pull = async (): Promise<boolean> => {
    if (done) return false;
    const next = await iterator.next();
    if (next.done) {
      done = true;
      return false;
    }
    buf = buf.length === 0 ? next.value : Buffer.concat([buf, next.value]);
    return true;
  };

  // Preamble: skip to the first delimiter.
  for (;;) {
    const at = buf.indexOf(delimiter);
    if (at !== -1) {
      buf = buf.subarray(at + delimiter.length);
      break;
    }
    if (buf.length > delimiter.length) buf = buf.subarray(buf.length - delimiter.length);
    if (!(await pull())) throw new InvalidBodyError('multipart body has no opening boundary');
  }

  for (;;) {
    // After a delimiter: `--` ends the body, CRLF starts a part.
    while (buf.length < 2)
      if (!(await pull())) throw new InvalidBodyError('multipart body ends inside a boundary');
    if (buf[0] === 0x2d && buf[1] === 0x2d) return;
    if (buf[0] !== 0x0d || buf[1] !== 0x0a)
      throw new InvalidBodyError('multipart boundary not followed by CRLF');
    buf = buf.subarray(2);

    let headerEnd = buf.indexOf(HEADER_END);
    while (headerEnd === -1) {
      if (buf.length > MAX_PART_HEADER_BYTES) throw new InvalidBodyError('multipart part headers too large');
      if (!(await pull())) throw new InvalidBodyError('multipart body ends inside part headers');
      headerEnd = buf.indexOf(HEADER_END);
    }
    const headers = parsePartHeaders(buf.subarray(0, headerEnd).toString('latin1'));
    buf = buf.subarray(headerEnd + HEADER_END.length);

    let finished = false;
    async function* data(): AsyncGenerator<Buffer> {
      while (!finished) {
        const at = buf.indexOf(delimiter);
        if (at !== -1) {
          const chunk = buf.subarray(0, at);
          buf = buf.subarray(at + delimiter.length);
          finished = true;
          if (chunk.length > 0) yield chunk;
          return;
        }
        // Keep a delimiter's length back: it may be the start of a delimiter split across chunks.
        const safe = buf.length - delimiter.length;
        if (safe > 0) {
          const chunk = buf.subarray(0, safe);
          buf = buf.subarray(safe);
          yield chunk;
        }
        if (!(await pull())) throw new InvalidBodyError('multipart body ends inside a part');
      }
    }
    const stream = data();
    const readAll = async (): Promise<Buffer> => {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(Buffer.from(chunk));
      return Buffer.concat(chunks);
    };
    yield {
      name: headers.name,
      filename: headers.filename,
      contentType: headers.contentType,
      data: stream,
      buffer: readAll,
      text: async () => (await readAll()).toString('utf8'),
    };
    // The caller may skip a part's data: drain it so parsing resumes at the next delimiter.
    if (!finished) for await (const _ of stream);
  }
}

function parsePartHeaders(text: string): { name: string; filename: string | undefined; contentType: string } {
  let disposition = '';
  let contentType: string | undefined;
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'content-disposition') disposition = value;
    else if (key === 'content-type') contentType = value;
  }
  const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1] ?? /;\s*name=([^;\s]+)/i.exec(disposition)?.[1];
  if (!/^form-data/i.test(disposition) || name === undefined) {
    throw new InvalidBodyError('multipart part without a form-data content-disposition name');
  }
  const rawFilename =
    /;\s*filename="([^"]*)"/i.exec(disposition)?.[1] ?? /;\s*filename=([^;\s]+)/i.exec(disposition)?.[1];
  // Browsers send UTF-8 bytes in the quoted filename; headers were decoded as latin1 above.
  const filename =
    rawFilename === undefined ? undefined : Buffer.from(rawFilename, 'latin1').toString('utf8');
  return {
    name: Buffer.from(name, 'latin1').toString('utf8'),
    filename,
    contentType: contentType ?? (filename === undefined ? 'text/plain' : 'application/octet-stream'),
  };
}
