/**
 * The origin form (`/path?query`) of a request target. An absolute-form target
 * (`http://host/path?query`, which a server must accept: RFC 9112 §3.2.2) loses its scheme and
 * authority, so both engines route it like the origin-form request it stands for; `*` and
 * authority-form targets are returned unchanged.
 */
export function originForm(target: string): string {
  if (target.charCodeAt(0) === 0x2f) return target;
  const prefix = ABSOLUTE_PREFIX.exec(target);
  if (prefix === null) return target;
  const rest = target.slice(prefix[0].length);
  return rest.charCodeAt(0) === 0x2f ? rest : `/${rest}`;
}

/** `scheme://authority` (RFC 3986 §3.1, §3.2). */
const ABSOLUTE_PREFIX = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;
