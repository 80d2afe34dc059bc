import { z } from 'zod';

/** The body kinds a route's `body` schema can be fed, decided once at registration. */
export interface BodyMediaTypes {
  json: boolean;
  /** urlencoded and multipart forms (both parse to an object of fields). */
  form: boolean;
  /** `text/*`, parsed to a string. */
  text: boolean;
}

/** Every kind: the body parsing of a route without a body schema. */
export const ANY_BODY: BodyMediaTypes = Object.freeze({ json: true, form: true, text: true });

/**
 * Which bodies can possibly satisfy a schema, from the JSON type its input accepts: a string
 * schema takes text (and a JSON string), an object schema takes JSON and forms, anything else
 * JSON only. A schema whose input type is not known (a union of kinds, `z.any()`, a custom check)
 * takes every kind, as before. So `text/plain` sent to a JSON route is a 415, not a 400 from
 * the schema.
 */
export function bodyMediaTypes(schema: z.ZodType): BodyMediaTypes {
  let type: unknown;
  try {
    type = (z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { type?: unknown }).type;
  } catch {
    return ANY_BODY;
  }
  if (typeof type !== 'string') return ANY_BODY;
  if (type === 'string') return { json: true, form: false, text: true };
  if (type === 'object') return { json: true, form: true, text: false };
  return { json: true, form: false, text: false };
}

/** `bodyMediaTypes` as the `expected` list of a 415's message. */
export function describeMediaTypes(types: BodyMediaTypes): string {
  const list = ['application/json'];
  if (types.form) list.push('application/x-www-form-urlencoded', 'multipart/form-data');
  if (types.text) list.push('text/*');
  return list.join(', ');
}
