import { type Expression, type SqlBool, sql } from 'kysely';
import { InvalidQueryError } from '../errors/validation-error.js';
import { ParameterSlot } from '../query-compiler/compiled-template.js';
import type { Relation } from '../schema/relation.js';
import type { FilterTables, TableFilter } from './filter-tables.js';
import { checkText } from './filter-value.js';
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
 * A typed filter: `{ email: 'a@b.c' }`, `{ age: { gte: 18 } }`, `{ OR: [{ a: 1 }, { b: 2 }] }`,
 * `{ posts: { some: { published: true } } }`. Conditions in one object are ANDed; `null` means IS NULL.
 *
 * The safe-filter rule: an `undefined` operand, an empty object, an empty `AND`/`OR`, an unknown
 * column or operator is an `InvalidQueryError` (and, for literals, a compile error through
 * {@link CheckedWhere}) — never a filter that matches every row.
 */
export type Where<Row, Rel = Record<never, never>> = {
  readonly [K in keyof Row]?: Row[K] | null | WhereOperators<NonNullable<Row[K]>>;
} & {
  readonly AND?: readonly Where<Row, Rel>[];
  readonly OR?: readonly Where<Row, Rel>[];
  readonly NOT?: Where<Row, Rel>;
} & { readonly [K in keyof Rel]?: Rel[K] };

/** Filters on a to-many relation: rows with some / no / only related rows matching. */
export interface ManyRelationWhere<W> {
  readonly some?: W;
  readonly none?: W;
  readonly every?: W;
}

/** Filters on a to-one relation: rows whose related row matches (`is`) or does not (`isNot`). */
export interface OneRelationWhere<W> {
  readonly is?: W;
  readonly isNot?: W;
}

/** Every row, said explicitly: the only way `update`/`delete` touch a whole table. */
export interface AllRows {
  readonly all: true;
}

type IsOptional<W, K extends keyof W> = Record<never, never> extends Pick<W, K> ? true : false;

/**
 * The compile-time half of the safe-filter rule, applied to the filter a call site writes: a key
 * given as `undefined` (or as a value that may be `undefined`), an empty object and an empty
 * `AND`/`OR` list become `never`, so `delete({ id: { eq: undefined } })` and `delete({ AND: [] })`
 * do not compile. A filter typed as a whole `Where<Row>` passes here and is checked at run time.
 */
export type CheckedWhere<W> = W extends readonly []
  ? never
  : W extends readonly (infer E)[]
    ? readonly CheckedWhere<E>[]
    : W extends Date | string | number | boolean | bigint | null
      ? W
      : W extends object
        ? keyof W extends never
          ? never
          : {
              readonly [K in keyof W]: IsOptional<W, K> extends true
                ? CheckedWhere<W[K]>
                : undefined extends W[K]
                  ? never
                  : CheckedWhere<W[K]>;
            }
        : W;

type Comparison = '=' | '<>' | '>' | '>=' | '<' | '<=' | 'like' | 'ilike';
const COMPARISON = new Map<string, Comparison>([
  ['eq', '='],
  ['ne', '<>'],
  ['gt', '>'],
  ['gte', '>='],
  ['lt', '<'],
  ['lte', '<='],
  ['like', 'like'],
  ['ilike', 'ilike'],
]);
const OPERATORS = new Set([...COMPARISON.keys(), 'in', 'notIn', 'isNull']);
const MANY = new Set(['some', 'none', 'every']);
const ONE = new Set(['is', 'isNot']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function plainFilter(where: unknown, at: string): Record<string, unknown> {
  if (!isPlainObject(where)) throw new InvalidQueryError(`${at} must be a filter object`);
  return where;
}

/** Is `where` exactly `{ all: true }` (and not a filter on a column named `all`)? */
export function isAllRows(t: TableFilter, where: unknown): where is AllRows {
  if (!isPlainObject(where) || t.codecs.has('all')) return false;
  const keys = Object.keys(where);
  return keys.length === 1 && keys[0] === 'all' && where.all === true;
}

/**
 * Walks a filter in a fixed order, validating it and reporting its shape (column and operator
 * names, never values) and its values. The shape keys the compiled-query cache; the values fill the
 * cached template. {@link buildWhere} walks in the same order, so slot `i` is the `i`-th value here.
 */
export function collectWhere(
  tables: FilterTables,
  t: TableFilter,
  where: unknown,
  shape: string[],
  values: unknown[],
): void {
  const filter = plainFilter(where, `filter on "${t.table.name}"`);
  const keys = Object.keys(filter);
  if (keys.length === 0) {
    throw new InvalidQueryError(
      `empty filter on "${t.table.name}": omit it to read every row, or pass { all: true } to update/delete them`,
    );
  }
  for (const key of keys) {
    const value = filter[key];
    if (value === undefined) {
      throw new InvalidQueryError(`filter key "${key}" on "${t.table.name}" is undefined`);
    }
    if (key === 'AND' || key === 'OR') {
      if (!Array.isArray(value) || value.length === 0)
        throw new InvalidQueryError(`${key} must be a non-empty array of filters`);
      shape.push(`${key}(`);
      for (const w of value) {
        collectWhere(tables, t, w, shape, values);
        shape.push(',');
      }
      shape.push(')');
      continue;
    }
    if (key === 'NOT') {
      shape.push('NOT(');
      collectWhere(tables, t, value, shape, values);
      shape.push(')');
      continue;
    }
    const codec = t.codecs.get(key);
    if (codec === undefined) {
      const rel = t.relations.get(key);
      if (rel === undefined) throw new InvalidQueryError(`table "${t.table.name}" has no column "${key}"`);
      collectRelation(tables, key, rel, value, shape, values);
      continue;
    }
    if (value === null) {
      shape.push(`${key} null;`);
      continue;
    }
    const isJson = t.table.columns[key]?.definition.sqlType === 'jsonb';
    // An object is an operator object, except a jsonb equality value whose keys are not all operators.
    if (isPlainObject(value) && !(isJson && !Object.keys(value).every((k) => OPERATORS.has(k)))) {
      const ops = Object.keys(value);
      if (ops.length === 0) throw new InvalidQueryError(`filter on "${key}" has no operator`);
      for (const op of ops) {
        const operand = value[op];
        if (!OPERATORS.has(op)) throw new InvalidQueryError(`unknown operator "${op}" on "${key}"`);
        if (operand === undefined) throw new InvalidQueryError(`operator "${op}" on "${key}" is undefined`);
        if (op === 'isNull') {
          if (typeof operand !== 'boolean')
            throw new InvalidQueryError(`"isNull" on "${key}" needs a boolean`);
          shape.push(`${key} ${operand ? 'null' : 'notnull'};`);
          continue;
        }
        shape.push(`${key} ${op};`);
        if (op === 'in' || op === 'notIn') {
          if (!Array.isArray(operand)) throw new InvalidQueryError(`"${op}" on "${key}" needs an array`);
          values.push(operand.map((v: unknown) => codec(v, key)));
        } else if (op === 'like' || op === 'ilike') {
          values.push(checkText(operand, key));
        } else {
          if (operand === null) throw new InvalidQueryError(`"${op}" on "${key}" cannot be null: use isNull`);
          values.push(codec(operand, key));
        }
      }
      continue;
    }
    shape.push(`${key} eq;`);
    values.push(codec(value, key));
  }
}

function collectRelation(
  tables: FilterTables,
  name: string,
  rel: Relation,
  value: unknown,
  shape: string[],
  values: unknown[],
): void {
  const spec = plainFilter(value, `relation filter "${name}"`);
  const allowed = rel.kind === 'belongsTo' || rel.kind === 'hasOne' ? ONE : MANY;
  const ops = Object.keys(spec);
  if (ops.length === 0) throw new InvalidQueryError(`relation filter "${name}" has no operator`);
  const target = tables.get(rel.target);
  for (const op of ops) {
    if (!allowed.has(op)) {
      throw new InvalidQueryError(`relation filter "${name}" takes ${[...allowed].join(', ')}, not "${op}"`);
    }
    shape.push(`${name} ${op}(`);
    collectWhere(tables, target, spec[op], shape, values);
    shape.push(')');
  }
}

/** Where a filter is built: the table, and the alias its columns are referenced through. */
export interface FilterSite {
  readonly t: TableFilter;
  readonly alias: string;
}

/** Builds the filter expression with parameter slots, in the same order as {@link collectWhere}. */
export function buildWhere(
  eb: UntypedExpressionBuilder,
  tables: FilterTables,
  site: FilterSite,
  where: object,
  slots: { next: number },
): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [];
  const slot = () => new ParameterSlot(slots.next++);
  for (const [key, value] of Object.entries(where)) {
    if (key === 'AND' || key === 'OR') {
      const parts = (value as object[]).map((w) => buildWhere(eb, tables, site, w, slots));
      conditions.push(key === 'AND' ? eb.and(parts) : eb.or(parts));
      continue;
    }
    if (key === 'NOT') {
      conditions.push(eb.not(buildWhere(eb, tables, site, value as object, slots)));
      continue;
    }
    if (!site.t.codecs.has(key)) {
      const rel = site.t.relations.get(key) as Relation;
      for (const [op, inner] of Object.entries(value as object)) {
        conditions.push(buildRelation(eb, tables, site, rel, op, inner as object, slots));
      }
      continue;
    }
    const ref = eb.ref(`${site.alias}.${key}`);
    const isJson = site.t.table.columns[key]?.definition.sqlType === 'jsonb';
    if (value === null) {
      conditions.push(eb(ref, 'is', null));
    } else if (isPlainObject(value) && !(isJson && !Object.keys(value).every((k) => OPERATORS.has(k)))) {
      for (const [op, operand] of Object.entries(value)) {
        if (op === 'isNull') conditions.push(eb(ref, operand ? 'is' : 'is not', null));
        else if (op === 'in') conditions.push(sql<SqlBool>`${ref} = any(${slot()})`);
        else if (op === 'notIn') conditions.push(sql<SqlBool>`not (${ref} = any(${slot()}))`);
        else conditions.push(eb(ref, COMPARISON.get(op) ?? '=', slot()));
      }
    } else {
      conditions.push(eb(ref, '=', slot()));
    }
  }
  return conditions.length === 1 ? (conditions[0] as Expression<SqlBool>) : eb.and(conditions);
}

/**
 * `exists (select 1 from target where <join to the outer row> and <filter>)`; `none` is `not exists`,
 * `every` is `not exists (... and not <filter>)`. Each nesting level has its own alias, so a relation
 * from a table to itself stays unambiguous.
 */
function buildRelation(
  eb: UntypedExpressionBuilder,
  tables: FilterTables,
  site: FilterSite,
  rel: Relation,
  op: string,
  inner: object,
  slots: { next: number },
): Expression<SqlBool> {
  const target = tables.get(rel.target);
  const alias = `${site.alias}_r${slots.next}`;
  const innerSite: FilterSite = { t: target, alias };
  const outerKey = (column: string | undefined) => sql.ref(`${site.alias}.${column ?? singleKey(site.t)}`);
  let sub = eb.selectFrom(`${target.table.name} as ${alias}`).select(sql.lit(1).as('one'));
  if (rel.kind === 'belongsTo') {
    sub = sub.where(
      sql<SqlBool>`${sql.ref(`${alias}.${rel.targetKey ?? singleKey(target)}`)} = ${outerKey(rel.foreignKey)}`,
    );
  } else if (rel.kind === 'hasMany' || rel.kind === 'hasOne') {
    sub = sub.where(sql<SqlBool>`${sql.ref(`${alias}.${rel.foreignKey}`)} = ${outerKey(rel.sourceKey)}`);
  } else {
    const link = `${alias}_l`;
    sub = sub
      .innerJoin(
        `${rel.through} as ${link}`,
        `${link}.${rel.targetForeignKey}`,
        `${alias}.${rel.targetKey ?? singleKey(target)}`,
      )
      .where(sql<SqlBool>`${sql.ref(`${link}.${rel.sourceForeignKey}`)} = ${outerKey(rel.sourceKey)}`);
  }
  // Soft-deleted related rows do not count, as they are not loaded either.
  const soft = target.table.softDelete;
  if (soft !== undefined) sub = sub.where(sql.ref(`${alias}.${soft}`), 'is', null);
  const condition = buildWhere(eb, tables, innerSite, inner, slots);
  if (op === 'every') return eb.not(eb.exists(sub.where(eb.not(condition))));
  if (op === 'none' || op === 'isNot') return eb.not(eb.exists(sub.where(condition)));
  return eb.exists(sub.where(condition));
}

function singleKey(t: TableFilter): string {
  const [key, ...rest] = t.table.primaryKey.columns;
  if (key === undefined || rest.length > 0) {
    throw new InvalidQueryError(
      `relation to "${t.table.name}" needs an explicit key: its primary key is composite`,
    );
  }
  return key;
}
