import type { Context } from '@opentelemetry/api';
import { recordSetter, w3cPropagator } from './w3c-propagator.js';

/**
 * Appends a sqlcommenter comment carrying `traceparent` (and `tracestate`) to `sql`, so the
 * statement can be tied to its trace in `pg_stat_activity`, slow-query logs and
 * `pg_stat_statements`. Values are URL-encoded and single-quoted, keys sorted, as the
 * sqlcommenter spec says. Returns `sql` unchanged when it already has a comment or there is no
 * trace context.
 */
export function addSqlComment(sql: string, ctx: Context): string {
  if (sql.includes('/*') || sql.includes('--')) return sql;
  const carrier: Record<string, string> = {};
  w3cPropagator.inject(ctx, carrier, recordSetter);
  const keys = Object.keys(carrier)
    .filter((k) => k === 'traceparent' || k === 'tracestate')
    .sort();
  if (keys.length === 0) return sql;
  const comment = `/*${keys.map((k) => `${k}='${encodeURIComponent(carrier[k]!)}'`).join(',')}*/`;
  const trimmed = sql.trimEnd();
  return trimmed.endsWith(';') ? `${trimmed.slice(0, -1)} ${comment};` : `${trimmed} ${comment}`;
}
