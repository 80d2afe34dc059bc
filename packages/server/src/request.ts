import type { EngineRequest } from '@zephyr/uring';
import { ANY_BODY, type BodyMediaTypes, describeMediaTypes } from './body/body-media-types.js';
import { limitedBody, readBody } from './body/limited-stream.js';
import { type MultipartPart, multipartBoundary, parseMultipart } from './body/multipart.js';
import { type FormFields, parseUrlEncoded } from './body/parse-form.js';
import { BodyConsumedError, InvalidBodyError, UnsupportedMediaTypeError } from './errors.js';

/**
 * The incoming request as handlers see it: a thin view over the engine's request. Nothing is
 * parsed until asked for (headers, query, cookies, body), so a handler that reads only
 * `ctx.params` costs no parsing at all.
 */
export class ZephyrRequest {
  /** The engine's request, for what this view does not cover. */
  readonly raw: EngineRequest;
  /** Byte limit for the body: the route's `bodyLimit`, else the app's. */
  bodyLimit: number;
  #consumed = false;

  constructor(raw: EngineRequest, bodyLimit: number) {
    this.raw = raw;
    this.bodyLimit = bodyLimit;
  }

  /** Upper-case method, e.g. `GET`. */
  get method(): string {
    return this.raw.method;
  }
  /** The request target as sent, path and query. */
  get url(): string {
    return this.raw.url;
  }
  /** The path, still percent-encoded. */
  get path(): string {
    return this.raw.path;
  }
  /** The raw query string without `?` (`''` when absent). */
  get queryString(): string {
    return this.raw.query;
  }
  /** The peer's address. */
  get remoteAddress(): string {
    return this.raw.remoteAddress;
  }

  /** A header by case-insensitive name; repeated fields joined with `, `. */
  header(name: string): string | undefined {
    return this.raw.header(name);
  }

  /** All headers as an object with lower-case names (built on each call). */
  headers(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of this.raw.headers())
      out[name] = name in out ? `${out[name]}, ${value}` : value;
    return out;
  }

  /** The media type of the body, lower-cased, without parameters (`''` if none). */
  get contentType(): string {
    const value = this.raw.header('content-type');
    if (value === undefined) return '';
    const semi = value.indexOf(';');
    return (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
  }

  #take(): void {
    if (this.#consumed) throw new BodyConsumedError();
    this.#consumed = true;
  }

  /** The body as it arrives, within the body limit (413 beyond it). */
  stream(): AsyncIterable<Buffer> {
    this.#take();
    return limitedBody(this.raw, this.bodyLimit);
  }

  /** The whole body as bytes, within the body limit. */
  async buffer(): Promise<Buffer> {
    this.#take();
    return readBody(this.raw, this.bodyLimit);
  }

  /** The whole body as UTF-8 text. */
  async text(): Promise<string> {
    return (await this.buffer()).toString('utf8');
  }

  /** The body parsed as JSON; malformed JSON is a 400 (`ZEPHYR_ERR_BODY_INVALID`). */
  async json<T = unknown>(): Promise<T> {
    const text = await this.text();
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new InvalidBodyError(`malformed JSON body: ${(err as Error).message}`, err);
    }
  }

  /** An `application/x-www-form-urlencoded` body as fields. */
  async form(): Promise<FormFields> {
    return parseUrlEncoded(await this.text());
  }

  /**
   * The parts of a `multipart/form-data` body, streamed: file data is never held whole in memory.
   *
   * @example
   * ```ts
   * for await (const part of ctx.req.multipart()) {
   *   if (part.filename) await pipeline(part.data, createWriteStream(`/tmp/${randomUUID()}`));
   *   else fields[part.name] = await part.text();
   * }
   * ```
   */
  multipart(): AsyncIterable<MultipartPart> {
    const type = this.raw.header('content-type') ?? '';
    if (this.contentType !== 'multipart/form-data')
      throw new UnsupportedMediaTypeError(type, 'multipart/form-data');
    const boundary = multipartBoundary(type);
    return parseMultipart(this.stream(), boundary);
  }

  /**
   * The body parsed by its content type: JSON, text, urlencoded and multipart (fields as strings,
   * files as `File`s, so `z.file()` validates them). Used for a route's `body` schema, which
   * decides the kinds it `accepts`; any other is a 415 saying what to send.
   */
  async parsedBody(accepts: BodyMediaTypes = ANY_BODY): Promise<unknown> {
    const type = this.contentType;
    if (type === '' && !this.#hasBody()) return undefined;
    if (type === 'application/json' || type.endsWith('+json')) return this.json();
    if (type === 'application/x-www-form-urlencoded' && accepts.form) {
      const text = await this.text();
      // What `curl -d '{"a":1}'` sends: JSON labelled as a form, which would parse as one odd key.
      if (accepts.json && /^\s*[[{]/.test(text)) {
        throw new UnsupportedMediaTypeError(
          type,
          describeMediaTypes(accepts),
          `the body is JSON labelled as a form: ${JSON_HINT}`,
        );
      }
      return parseUrlEncoded(text);
    }
    if (type === 'multipart/form-data' && accepts.form) {
      const fields: Record<string, unknown> = Object.create(null);
      for await (const part of this.multipart()) {
        const value =
          part.filename === undefined
            ? await part.text()
            : new File([await part.buffer()], part.filename, { type: part.contentType });
        const existing = fields[part.name];
        if (existing === undefined) fields[part.name] = value;
        else if (Array.isArray(existing)) existing.push(value);
        else fields[part.name] = [existing, value];
      }
      return fields;
    }
    if (type.startsWith('text/') && accepts.text) return this.text();
    throw new UnsupportedMediaTypeError(
      type,
      describeMediaTypes(accepts),
      type === '' || type.startsWith('text/') || type === 'application/x-www-form-urlencoded'
        ? JSON_HINT
        : undefined,
    );
  }

  /** Whether the request says it has a body (a non-zero length, or chunked). */
  #hasBody(): boolean {
    const length = this.raw.header('content-length');
    return (
      (length !== undefined && length.trim() !== '0') || this.raw.header('transfer-encoding') !== undefined
    );
  }
}

const JSON_HINT = 'send a JSON body with the header content-type: application/json';
