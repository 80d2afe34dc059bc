import { InvalidQueryError } from '../errors/validation-error.js';

type Encoded = { d: string } | { b: string } | string | number | boolean | null;

/** Encodes the sort-key values of the last row of a page into an opaque, URL-safe cursor. */
export function encodeCursor(values: readonly unknown[]): string {
  const encoded: Encoded[] = values.map((v) => {
    if (v instanceof Date) return { d: v.toISOString() };
    if (typeof v === 'bigint') return { b: v.toString() };
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
    throw new InvalidQueryError('cursor pagination needs scalar sort columns');
  });
  return Buffer.from(JSON.stringify(encoded)).toString('base64url');
}

/** Decodes a cursor from {@link encodeCursor}; anything malformed is a client error, not a crash. */
export function decodeCursor(cursor: string, expectedLength: number): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidQueryError('malformed pagination cursor');
  }
  if (!Array.isArray(parsed) || parsed.length !== expectedLength)
    throw new InvalidQueryError('malformed pagination cursor');
  return parsed.map((v: unknown) => {
    if (typeof v === 'object' && v !== null) {
      if ('d' in v && typeof v.d === 'string') return new Date(v.d);
      if ('b' in v && typeof v.b === 'string' && /^-?\d+$/.test(v.b)) return BigInt(v.b);
      throw new InvalidQueryError('malformed pagination cursor');
    }
    return v;
  });
}
