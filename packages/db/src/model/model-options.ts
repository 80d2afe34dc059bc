import { InvalidQueryError } from '../errors/validation-error.js';
import type { HasManyRelation, HasOneRelation, ManyToManyRelation, Relation } from '../schema/relation.js';
import type { AnySchema } from '../schema/schema.js';
import type { TableFilter } from './filter-tables.js';
import type {
  ColumnOf,
  ExactWith,
  InsertOf,
  RelationsOf,
  RowOf,
  TableName,
  UpdateOf,
  WhereOf,
  WithSpec,
} from './model-types.js';
import type { OrderBy } from './order-by.js';
import type { AllRows, CheckedWhere } from './where-filter.js';

/** Options of {@link Model.findMany}. */
export interface FindManyOptions<
  S extends AnySchema,
  N extends TableName<S>,
  W,
  C extends ColumnOf<S, N>,
  F = WhereOf<S, N>,
> {
  /** A filter; see the safe-filter rule on {@link Where}. Omit it to read every row. */
  readonly where?: F & CheckedWhere<F> & WhereOf<S, N>;
  readonly orderBy?: OrderBy<RowOf<S, N>>;
  readonly limit?: number;
  readonly offset?: number;
  /** Relations to load eagerly: one extra query per relation, whatever the row count. */
  readonly with?: ExactWith<S, N, W> & WithSpec<S, N>;
  /** Only these columns (the row type narrows to them). Default: every column. */
  readonly select?: readonly C[];
  /** Soft-deleted tables: include deleted rows too. */
  readonly withDeleted?: boolean;
}

/** Options of {@link Model.paginate}. */
export interface PaginateOptions<
  S extends AnySchema,
  N extends TableName<S>,
  W,
  C extends ColumnOf<S, N>,
  F = WhereOf<S, N>,
> {
  readonly where?: F & CheckedWhere<F> & WhereOf<S, N>;
  /** Sort columns (must be NOT NULL); the primary key is appended as a tie-breaker. Default: primary key. */
  readonly orderBy?: OrderBy<RowOf<S, N>>;
  /** Page size, 1..1000. */
  readonly first: number;
  /** The `nextCursor` of the previous page; omit or `null` for the first page. */
  readonly after?: string | null;
  readonly with?: ExactWith<S, N, W> & WithSpec<S, N>;
  readonly select?: readonly C[];
  readonly withDeleted?: boolean;
}

/** One page of {@link Model.paginate}. */
export interface Page<Row> {
  readonly rows: Row[];
  /** Pass as `after` to get the next page; `null` on the last page. */
  readonly nextCursor: string | null;
}

/** Options of {@link Model.upsert}. */
export interface UpsertOptions<S extends AnySchema, N extends TableName<S>> {
  readonly values: InsertOf<S, N>;
  /** The unique columns that identify an existing row (a unique constraint or the primary key). */
  readonly conflict: readonly (keyof RowOf<S, N> & string)[];
  /** What to set on conflict; default: every inserted column outside `conflict`. */
  readonly update?: UpdateOf<S, N>;
}

/** Nested writes of {@link Model.create}: related rows created in the same transaction. */
export type NestedCreate<S extends AnySchema, N extends TableName<S>> = {
  readonly [R in keyof RelationsOf<S, N>]?: RelationsOf<S, N>[R] extends HasOneRelation<infer T, infer FK>
    ? Omit<InsertOf<S, T & TableName<S>>, FK>
    : RelationsOf<S, N>[R] extends HasManyRelation<infer T, infer FK>
      ? readonly Omit<InsertOf<S, T & TableName<S>>, FK>[]
      : RelationsOf<S, N>[R] extends ManyToManyRelation<infer T>
        ? readonly InsertOf<S, T & TableName<S>>[]
        : never;
};

/** A filter for `update`/`delete`, checked at compile time, or `{ all: true }`. */
export type WriteFilter<F> = F & (F extends AllRows ? unknown : CheckedWhere<F>);

export const MAX_LIMIT = 10_000;
export const MAX_ROWS_PER_INSERT = 1000;
export const FIND_MANY_OPTIONS = new Set([
  'where',
  'orderBy',
  'limit',
  'offset',
  'with',
  'select',
  'withDeleted',
]);
export const PAGINATE_OPTIONS = new Set([
  'where',
  'orderBy',
  'first',
  'after',
  'with',
  'select',
  'withDeleted',
]);
export const FIND_OPTIONS = new Set(['with', 'select', 'withDeleted']);

/** An integer option within bounds (`limit`, `offset`, `first`). */
export function checkCount(name: string, value: unknown, min: number, max = MAX_LIMIT): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidQueryError(`${name} must be an integer between ${min} and ${max}`);
  }
  return value;
}

/** Query options are input too: an unknown key (a typo, or an option this version lacks) is refused. */
export function checkOptions(options: unknown, allowed: ReadonlySet<string>, method: string): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new InvalidQueryError(`${method} options must be an object`);
  for (const key in options) {
    if (!allowed.has(key)) throw new InvalidQueryError(`${method} has no option "${key}"`);
  }
}

/** The relations of a nested create, checked before anything is written. */
export function checkNested(t: TableFilter, nested: object): [string, Relation, unknown][] {
  if (typeof nested !== 'object' || nested === null || Array.isArray(nested))
    throw new InvalidQueryError('nested create must be an object of relation names');
  const result: [string, Relation, unknown][] = [];
  for (const [name, children] of Object.entries(nested)) {
    const rel = t.relations.get(name);
    if (rel === undefined) throw new InvalidQueryError(`table "${t.table.name}" has no relation "${name}"`);
    if (rel.kind === 'belongsTo')
      throw new InvalidQueryError(`nested create through belongsTo "${name}": create the parent first`);
    if (children === undefined) throw new InvalidQueryError(`nested create "${name}" is undefined`);
    result.push([name, rel, children]);
  }
  return result;
}
