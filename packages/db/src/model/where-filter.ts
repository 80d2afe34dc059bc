import { type Expression, type SqlBool, sql } from 'kysely';
import { InvalidQueryError } from '../errors/validation-error.js';
import { ParameterSlot } from '../query-compiler/compiled-template.js';
import type { AnyTable } from '../schema/table.js';
import { toDriverValue } from './driver-value.js';
import type { UntypedExpressionBuilder } from './untyped-kysely.js';

/** Comparison operators for one column. */
export interface WhereOperators<T> {
  readonly eq?: T;
  readonly ne?: T;
  readonly gt?: T;
  readonly gte?: T;
  readonly lt?: T;
  readonly lte?: T;
  /** `column = any($1)`: one parameter whatever the list length, so the statement is reused. */
  readonly in?: readonly T[];
  readonly notIn?: readonly T[];
  readonly like?: string;
  readonly ilike?: string;
  /** `true`: IS NULL, `false`: IS NOT NULL. */
  readonly isNull?: boolean;
}

/**
 * A typed filter: `{ email: 'a@b.c' }`, `{ age: { gte: 18 } }`, `{ OR: [{ a: 1 }, { b: 2 }] }`.
 * Conditions in one object are ANDed. `null` means IS NULL.
 */
export type Where<Row> = {
  readonly [K in keyof Row]?: Row[K] | null | WhereOperators<NonNullable<Row[K]>>;
} & {
  readonly AND?: readonly Where<Row>[];
  readonly OR?: readonly Where<Row>[];
  readonly NOT?: Where<Row>;
};

const OPERATORS = new Set(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'notIn', 'like', 'ilike', 'isNull']);
const COMPARISON: Record<string, '=' | '<>' | '>' | '>=' | '<' | '<=' | 'like' | 'ilike'> = {
  eq: '=',
  ne: '<>',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
  like: 'like',
  ilike: 'ilike',
};

function isOperatorObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype)
    return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => OPERATORS.has(k));
}

/**
 * Walks a filter in a fixed order, reporting its shape (column and operator names, never values) and
 * its values. The shape keys the compiled-query cache; the values fill the cached template. Building
 * (below) walks in the same order, so slot `i` is always the `i`-th value collected here.
 */
export function collectWhere(table: AnyTable, where: object, shape: string[], values: unknown[]): void {
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined) continue;
    if (key === 'AND' || key === 'OR') {
      if (!Array.isArray(value)) throw new InvalidQueryError(`${key} must be an array of filters`);
      shape.push(`${key}(`);
      for (const w of value as object[]) {
        collectWhere(table, w, shape, values);
        shape.push(',');
      }
      shape.push(')');
      continue;
    }
    if (key === 'NOT') {
      shape.push('NOT(');
      collectWhere(table, value as object, shape, values);
      shape.push(')');
      continue;
    }
    const column = table.columns[key];
    if (column === undefined) throw new InvalidQueryError(`table "${table.name}" has no column "${key}"`);
    if (value === null) {
      shape.push(`${key} null;`);
    } else if (isOperatorObject(value)) {
      for (const [op, operand] of Object.entries(value)) {
        if (operand === undefined) continue;
        if (op === 'isNull') {
          shape.push(`${key} ${operand ? 'null' : 'notnull'};`);
          continue;
        }
        if ((op === 'in' || op === 'notIn') && !Array.isArray(operand)) {
          throw new InvalidQueryError(`"${op}" on "${key}" needs an array`);
        }
        shape.push(`${key} ${op};`);
        values.push(
          Array.isArray(operand)
            ? operand.map((v) => toDriverValue(column, v))
            : toDriverValue(column, operand),
        );
      }
    } else {
      shape.push(`${key} eq;`);
      values.push(toDriverValue(column, value));
    }
  }
}

/** Builds the filter expression with parameter slots, in the same order as {@link collectWhere}. */
export function buildWhere(
  eb: UntypedExpressionBuilder,
  table: AnyTable,
  where: object,
  slots: { next: number },
): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [];
  const slot = () => new ParameterSlot(slots.next++);
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined) continue;
    if (key === 'AND' || key === 'OR') {
      const parts = (value as object[]).map((w) => buildWhere(eb, table, w, slots));
      conditions.push(key === 'AND' ? eb.and(parts) : eb.or(parts));
      continue;
    }
    if (key === 'NOT') {
      conditions.push(eb.not(buildWhere(eb, table, value as object, slots)));
      continue;
    }
    const ref = eb.ref(`${table.name}.${key}`);
    if (value === null) {
      conditions.push(eb(ref, 'is', null));
    } else if (isOperatorObject(value)) {
      for (const [op, operand] of Object.entries(value)) {
        if (operand === undefined) continue;
        if (op === 'isNull') conditions.push(eb(ref, operand ? 'is' : 'is not', null));
        else if (op === 'in') conditions.push(sql<SqlBool>`${ref} = any(${slot()})`);
        else if (op === 'notIn') conditions.push(sql<SqlBool>`not (${ref} = any(${slot()}))`);
        else conditions.push(eb(ref, COMPARISON[op] ?? '=', slot()));
      }
    } else {
      conditions.push(eb(ref, '=', slot()));
    }
  }
  return eb.and(conditions);
}
