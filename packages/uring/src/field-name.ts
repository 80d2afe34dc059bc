/** A field name is an RFC 9110 §5.1 token: what both engines accept for `setTrailer`. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Whether `name` is a valid HTTP field name. */
export function isFieldName(name: unknown): name is string {
  return typeof name === 'string' && TOKEN.test(name);
}

/**
 * Names `header()` was asked for, lower-cased. An app asks for a handful of names, again and
 * again (a tracer two on every request), and a Map lookup costs about half a `toLowerCase`.
 */
const lowered = new Map<string, string>();
/** Bound on {@link lowered}: past it, names are lower-cased on every lookup. */
export const LOWERED_NAMES_MAX = 1024;

/** `name` lower-cased, from a bounded cache of the names looked up so far. */
export function lowerCaseName(name: string): string {
  let lower = lowered.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (lowered.size < LOWERED_NAMES_MAX) lowered.set(name, lower);
  }
  return lower;
}
