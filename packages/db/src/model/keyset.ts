import { ParameterSlot } from '../query-compiler/compiled-template.js';
import type { SortDirection } from './order-by.js';
import type { UntypedExpressionBuilder } from './untyped-kysely.js';

/** `(a > $1) or (a = $1 and b > $2) ...`, honouring each column's direction. */
export function keysetCondition(
  eb: UntypedExpressionBuilder,
  table: string,
  order: [string, SortDirection][],
  firstSlot: number,
) {
  const ors = order.map(([,], i) => {
    const ands = order.slice(0, i + 1).map(([column, direction], j) => {
      const ref = eb.ref(`${table}.${column}`);
      const slot = new ParameterSlot(firstSlot + j);
      if (j < i) return eb(ref, '=', slot);
      return eb(ref, direction === 'asc' ? '>' : '<', slot);
    });
    return eb.and(ands);
  });
  return eb.or(ors);
}
