import type { AnyColumn } from '../schema/column.js';

/**
 * Converts a value for sending: jsonb values are sent as JSON text, because node-postgres would
 * otherwise turn a JS array into a PostgreSQL array literal. Everything else goes as is.
 */
export function toDriverValue(column: AnyColumn, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  return column.definition.sqlType === 'jsonb' ? JSON.stringify(value) : value;
}
