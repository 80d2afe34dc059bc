import { InvalidQueryError } from '../errors/validation-error.js';
import type { ColumnMap, SelectRow } from '../schema/row-types.js';
import type { Table } from '../schema/table.js';
import type { Where } from './where-filter.js';

/**
 * Builds a filter from request input (a query string, a JSON body) with **equality only**: each
 * key must be one of `columns`, each value a plain scalar, validated by the column's own schema.
 * An object value — `{"email":{"ne":""}}`, the classic way to turn a lookup into "every row" — is
 * refused with `InvalidQueryError` (400), as are unknown keys and an input that names no column.
 * Operators belong in code: `{ ...equalityFilter(users, query, ['email']), age: { gte: 18 } }`.
 *
 * @example
 * ```ts
 * const where = equalityFilter(users, request.query, ['email', 'role']);
 * const rows = await db.models.users.findMany({ where });
 * ```
 */
export function equalityFilter<Cols extends ColumnMap, const K extends keyof Cols & string>(
  table: Table<string, Cols>,
  input: unknown,
  columns: readonly K[],
): Where<Pick<SelectRow<Cols>, K>> & Where<SelectRow<Cols>> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new InvalidQueryError('filter input must be an object');
  const allowed = new Set<string>(columns);
  const where: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!allowed.has(key) || !Object.hasOwn(table.columns, key))
      throw new InvalidQueryError(`cannot filter on "${key}"`);
    if (value === undefined) continue;
    if (value !== null && (typeof value === 'object' || typeof value === 'function'))
      throw new InvalidQueryError(`filter on "${key}" must be a plain value: operators come from code only`);
    const column = table.columns[key];
    if (value === null) {
      if (!column?.definition.nullable) throw new InvalidQueryError(`"${key}" cannot be null`);
      where[key] = null;
      continue;
    }
    const parsed = column?.inputSchema.safeParse(value);
    if (parsed === undefined || !parsed.success) throw new InvalidQueryError(`invalid value for "${key}"`);
    where[key] = parsed.data;
  }
  if (Object.keys(where).length === 0) throw new InvalidQueryError('filter input names no column');
  return where as Where<Pick<SelectRow<Cols>, K>> & Where<SelectRow<Cols>>;
}
