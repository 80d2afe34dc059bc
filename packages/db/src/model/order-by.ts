import { InvalidQueryError } from '../errors/validation-error.js';
import type { AnyTable } from '../schema/table.js';

/** Sort direction. */
export type SortDirection = 'asc' | 'desc';

/** `{ created_at: 'desc' }` or a list of them, applied in order. */
export type OrderBy<Row> =
  | { readonly [K in keyof Row]?: SortDirection }
  | readonly { readonly [K in keyof Row]?: SortDirection }[];

/** Flattens and validates an orderBy option into `[column, direction]` pairs. */
export function normalizeOrderBy(
  table: AnyTable,
  orderBy: object | readonly object[] | undefined,
): [string, SortDirection][] {
  if (orderBy === undefined) return [];
  const list = Array.isArray(orderBy) ? orderBy : [orderBy];
  const result: [string, SortDirection][] = [];
  for (const entry of list as unknown[]) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw new InvalidQueryError('orderBy must be an object of column directions, or a list of them');
    for (const [column, direction] of Object.entries(entry)) {
      if (direction === undefined) continue;
      if (!Object.hasOwn(table.columns, column))
        throw new InvalidQueryError(`table "${table.name}" has no column "${column}"`);
      if (direction !== 'asc' && direction !== 'desc') {
        throw new InvalidQueryError(`orderBy "${column}" must be "asc" or "desc"`);
      }
      result.push([column, direction]);
    }
  }
  return result;
}
