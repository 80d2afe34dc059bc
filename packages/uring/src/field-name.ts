/** A field name is an RFC 9110 §5.1 token: what both engines accept for `setTrailer`. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Whether `name` is a valid HTTP field name. */
export function isFieldName(name: unknown): name is string {
  return typeof name === 'string' && TOKEN.test(name);
}
