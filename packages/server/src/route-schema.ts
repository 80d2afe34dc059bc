import type { z } from 'zod';
import type { Middleware } from './compose.js';
import type { Context } from './context.js';
import type { PathParams } from './path-params.js';
import type { ResponseState } from './response-state.js';

/** Query parameters without a schema: a repeated name gives an array. */
export type QueryRecord = Record<string, string | string[]>;

/** Request headers without a schema: lower-case names. */
export type HeaderRecord = Record<string, string>;

/**
 * Zod schemas checked before the handler runs; each turns its part of `ctx` into the schema's
 * output type. A failure answers 400 with an `application/problem+json` body listing every issue.
 */
export interface RouteSchema {
  params?: z.ZodType;
  query?: z.ZodType;
  headers?: z.ZodType;
  body?: z.ZodType;
  /**
   * The response body's schema, compiled once into a fast serializer used by `ctx.json` for 2xx
   * responses; keys outside it are not sent. Or one schema per status code.
   */
  response?: z.ZodType | Readonly<Record<number, z.ZodType>>;
}

/** How a route appears in the OpenAPI document (see `app.openapi`). */
export interface RouteDocs {
  summary?: string;
  description?: string;
  tags?: readonly string[];
  operationId?: string;
  /** Leave the route out of the document. */
  hidden?: boolean;
}

/** Options of one route: its schemas, body limit and route-level middleware. */
export interface RouteOptions extends RouteSchema {
  /** OpenAPI details: summary, description, tags, operationId, or `hidden`. */
  docs?: RouteDocs;
  /** Body size limit for this route, bytes or a size string (`'10MB'`); default: the app's. */
  bodyLimit?: number | string;
  /** Middleware run for this route only, after the app's and its groups'. */
  middleware?: readonly Middleware[];
}

type OutputOf<S, K extends keyof RouteSchema, Fallback> = S extends { [P in K]: infer Z extends z.ZodType }
  ? z.output<Z>
  : Fallback;

type ResponseOf<S> = S extends { response: infer Z extends z.ZodType } ? z.input<Z> : unknown;

/** The context type of a route, from its full path and options. */
export type RouteContext<Path extends string, S> = Context<
  OutputOf<S, 'params', PathParams<Path>>,
  OutputOf<S, 'query', QueryRecord>,
  OutputOf<S, 'body', unknown>,
  OutputOf<S, 'headers', HeaderRecord>,
  ResponseOf<S>
>;

/** What a handler may return: nothing (the response is set on `ctx`), or a web `Response`. */
// biome-ignore lint/suspicious/noConfusingVoidType: handlers commonly return nothing
export type HandlerResult = void | Response | ResponseState;

/** A route handler. */
export type Handler<C = Context> = (ctx: C) => HandlerResult | Promise<HandlerResult>;
