import type { z } from 'zod';
import type { PathParams } from '../path-params.js';

/**
 * What a client sends to and gets from one route, from its path and schemas (input types: what
 * goes on the wire before the server parses it).
 */
export interface RouteSpec<Path extends string = string, O = unknown> {
  /** Path parameters: strings on the wire, numbers accepted. */
  params: { [K in keyof PathParams<Path>]: string | number };
  query: O extends { query: infer Z extends z.ZodType }
    ? z.input<Z>
    : Record<string, string | string[]> | undefined;
  headers: O extends { headers: infer Z extends z.ZodType } ? z.input<Z> : Record<string, string> | undefined;
  body: O extends { body: infer Z extends z.ZodType } ? z.input<Z> : undefined;
  /** The JSON of a 2xx answer. */
  response: O extends { response: infer Z extends z.ZodType }
    ? z.input<Z>
    : O extends { response: infer M extends Readonly<Record<number, z.ZodType>> }
      ? { [K in keyof M]: K extends 200 | 201 | 202 | 203 | 204 | 206 ? z.input<M[K]> : never }[keyof M]
      : unknown;
}

/** `Self` with one more route in its table. */
export type WithRoute<Self, Path extends string, Method extends string, O> = Self & {
  readonly '~routes': { readonly [P in Path]: { readonly [M in Method]: RouteSpec<Path, O> } };
};

/** The route table of an app (`typeof app`), for {@link createClient}. */
export type RoutesOf<App> = App extends { readonly '~routes': infer R } ? R : never;
