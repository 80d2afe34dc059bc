import { createHmac, timingSafeEqual } from 'node:crypto';

/** Attributes of a `Set-Cookie` field. */
export interface CookieOptions {
  /** Sign the value with HMAC-SHA256 under the app's `cookieSecret`, read back with `ctx.signedCookie`. */
  signed?: boolean;
  /** Lifetime in seconds (`Max-Age`). */
  maxAge?: number;
  expires?: Date;
  path?: string;
  domain?: string;
  secure?: boolean;
  /** Default `true`: scripts have no business reading server cookies unless asked. */
  httpOnly?: boolean;
  sameSite?: 'Strict' | 'Lax' | 'None';
  partitioned?: boolean;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Parses a `Cookie` header into name → value (first occurrence wins, values percent-decoded). */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    const name = pair.slice(0, eq).trim();
    if (name === '' || name in out) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      out[name] = value.includes('%') ? decodeURIComponent(value) : value;
    } catch {
      out[name] = value;
    }
  }
  return out;
}

/** Serializes one `Set-Cookie` field; rejects names and attributes that would corrupt the header. */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (!TOKEN.test(name)) throw new TypeError(`invalid cookie name ${JSON.stringify(name)}`);
  let out = `${name}=${encodeURIComponent(value)}`;
  if (options.maxAge !== undefined) {
    if (!Number.isFinite(options.maxAge)) throw new TypeError('cookie maxAge must be a finite number');
    out += `; Max-Age=${Math.floor(options.maxAge)}`;
  }
  if (options.expires) out += `; Expires=${options.expires.toUTCString()}`;
  for (const [key, attr] of [
    ['Domain', options.domain],
    ['Path', options.path ?? '/'],
  ] as const) {
    if (attr === undefined) continue;
    if (/[;\r\n]/.test(attr)) throw new TypeError(`invalid cookie ${key} ${JSON.stringify(attr)}`);
    out += `; ${key}=${attr}`;
  }
  if (options.httpOnly ?? true) out += '; HttpOnly';
  if (options.secure || options.sameSite === 'None' || options.partitioned) out += '; Secure';
  if (options.sameSite) out += `; SameSite=${options.sameSite}`;
  if (options.partitioned) out += '; Partitioned';
  return out;
}

/** `value.signature`, the signature being base64url HMAC-SHA256 of the value. */
export function signCookieValue(value: string, secret: string): string {
  return `${value}.${createHmac('sha256', secret).update(value).digest('base64url')}`;
}

/** The value if the signature verifies (constant-time), else `undefined`. */
export function unsignCookieValue(signed: string, secret: string): string | undefined {
  const dot = signed.lastIndexOf('.');
  if (dot === -1) return undefined;
  const value = signed.slice(0, dot);
  const given = Buffer.from(signed.slice(dot + 1));
  const expected = Buffer.from(createHmac('sha256', secret).update(value).digest('base64url'));
  return given.length === expected.length && timingSafeEqual(given, expected) ? value : undefined;
}
