/** Content codings Zephyr can produce. */
export type Encoding = 'br' | 'gzip';

/**
 * Picks the coding for an `Accept-Encoding` value (RFC 9110 §12.5.3): the highest q-value among
 * those offered wins, ties going to the server's preference order; `q=0` refuses a coding, and
 * `*` stands for any coding not listed.
 */
export function negotiateEncoding(
  header: string | undefined,
  preferred: readonly Encoding[],
): Encoding | null {
  if (!header) return null;
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [rawName, ...params] = part.trim().split(';');
    const name = rawName?.trim().toLowerCase();
    if (!name) continue;
    let weight = 1;
    for (const param of params) {
      const [key, value] = param.trim().split('=');
      if (key?.trim().toLowerCase() === 'q') {
        const parsed = Number(value);
        weight = Number.isFinite(parsed) ? Math.min(1, Math.max(0, parsed)) : 0;
      }
    }
    q.set(name, weight);
  }
  let best: Encoding | null = null;
  let bestQ = 0;
  for (const encoding of preferred) {
    const weight = q.get(encoding) ?? q.get('*') ?? 0;
    if (weight > bestQ) {
      best = encoding;
      bestQ = weight;
    }
  }
  return best;
}
