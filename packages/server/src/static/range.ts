/** A byte range of a file: `start` inclusive, `end` inclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses a `Range` header for a file of `size` bytes (RFC 9110 §14.1.2), single range only.
 * Returns the range, `'unsatisfiable'` (answer 416), or `null` to ignore the header and send the
 * whole file: as the RFC allows for malformed values, other units and multiple ranges.
 */
export function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '' && last === '') return null;
  if (first === '') {
    // Suffix range: the last N bytes. An empty file has no last byte to send (RFC 9110
    // §14.1.2: a suffix range of an empty representation is unsatisfiable).
    const length = Number(last);
    if (length === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}
