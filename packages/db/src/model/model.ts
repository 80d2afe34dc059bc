import { type CompiledQuery, sql } from 'kysely';
import type { z } from 'zod';
import { InvalidQueryError, ValidationError } from '../errors/validation-error.js';
import { CompiledTemplate, ParameterSlot } from '../query-compiler/compiled-template.js';
import type { AnySchema } from '../schema/schema.js';
import type { AnyTable } from '../schema/table.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { toDriverValue } from './driver-value.js';
import type { ModelContext, RawRow } from './model-context.js';
import type { InsertOf, KeyInput, RowOf, RowWith, TableName, UpdateOf, WithSpec } from './model-types.js';
import { normalizeOrderBy, type OrderBy, type SortDirection } from './order-by.js';
import { loadRelations, type RelationSpec } from './relation-loader.js';
import type { UntypedExpressionBuilder } from './untyped-kysely.js';
import { buildWhere, collectWhere, type Where } from './where-filter.js';

/** Options of {@link Model.findMany}. */
export interface FindManyOptions<S extends AnySchema, N extends TableName<S>, W> {
  readonly where?: Where<RowOf<S, N>>;
  readonly orderBy?: OrderBy<RowOf<S, N>>;
  readonly limit?: number;
  readonly offset?: number;
  /** Relations to load eagerly: one extra query per relation, whatever the row count. */
  readonly with?: W & WithSpec<S, N>;
}

/** Options of {@link Model.paginate}. */
export interface PaginateOptions<S extends AnySchema, N extends TableName<S>, W> {
  readonly where?: Where<RowOf<S, N>>;
  /** Sort columns (must be NOT NULL); the primary key is appended as a tie-breaker. Default: primary key. */
  readonly orderBy?: OrderBy<RowOf<S, N>>;
  /** Page size, 1..1000. */
  readonly first: number;
  /** The `nextCursor` of the previous page; omit or `null` for the first page. */
  readonly after?: string | null;
  readonly with?: W & WithSpec<S, N>;
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

const MAX_LIMIT = 10_000;

/**
 * Typed access to one table: CRUD, filters, cursor pagination and eager relations. Every query is
 * built and compiled once per shape and reused (on PostgreSQL as a named prepared statement); values
 * always travel as parameters.
 */
export class Model<S extends AnySchema, N extends TableName<S>> {
  /** The table this model reads and writes. */
  readonly table: S['tables'][N];
  readonly #ctx: ModelContext;
  readonly #t: AnyTable;
  readonly #touch: string[];

  /** @internal Models are created by the database: use `db.models.<table>`. */
  constructor(ctx: ModelContext, table: S['tables'][N]) {
    this.#ctx = ctx;
    this.table = table;
    this.#t = table;
    this.#touch = Object.entries(this.#t.columns)
      .filter(([, c]) => c.definition.touchOnUpdate)
      .map(([n]) => n);
  }

  /** The row with this primary key, or `undefined`. */
  async find<const W extends WithSpec<S, N> = Record<never, never>>(
    key: KeyInput<S, N>,
    options: { readonly with?: W } = {},
  ): Promise<RowWith<S, N, W> | undefined> {
    const rows = await this.findMany<W>({
      where: this.#keyWhere(key),
      limit: 1,
      ...(options.with ? { with: options.with } : {}),
    } as never);
    return rows[0];
  }

  /** The first row matching, or `undefined`. */
  async findFirst<const W extends WithSpec<S, N> = Record<never, never>>(
    options: Omit<FindManyOptions<S, N, W>, 'limit'> = {},
  ): Promise<RowWith<S, N, W> | undefined> {
    const rows = await this.findMany<W>({ ...options, limit: 1 });
    return rows[0];
  }

  /** Rows matching `where`, sorted and limited, with relations loaded. */
  async findMany<const W extends WithSpec<S, N> = Record<never, never>>(
    options: FindManyOptions<S, N, W> = {},
  ): Promise<RowWith<S, N, W>[]> {
    const shape: string[] = ['select:'];
    const values: unknown[] = [];
    if (options.where !== undefined) collectWhere(this.#t, options.where, shape, values);
    const order = normalizeOrderBy(this.#t, options.orderBy);
    shape.push(`|order:${order.map(([c, d]) => `${c} ${d}`).join(',')}`);
    if (options.limit !== undefined) {
      shape.push('|limit');
      values.push(checkCount('limit', options.limit, 0));
    }
    if (options.offset !== undefined) {
      shape.push('|offset');
      values.push(checkCount('offset', options.offset, 0, Number.MAX_SAFE_INTEGER));
    }
    const rows = await this.#run(shape.join(''), values, () =>
      this.#selectQuery(options.where, order, options.limit, options.offset).compile(),
    );
    await loadRelations(this.#ctx, this.#t.name, rows, options.with as RelationSpec | undefined);
    return rows as RowWith<S, N, W>[];
  }

  /**
   * Keyset (cursor) pagination: stable under inserts, cost independent of the page number.
   *
   * @example
   * ```ts
   * const page1 = await db.models.posts.paginate({ orderBy: { created_at: 'desc' }, first: 20 });
   * const page2 = await db.models.posts.paginate({ orderBy: { created_at: 'desc' }, first: 20, after: page1.nextCursor });
   * ```
   */
  async paginate<const W extends WithSpec<S, N> = Record<never, never>>(
    options: PaginateOptions<S, N, W>,
  ): Promise<Page<RowWith<S, N, W>>> {
    const first = checkCount('first', options.first, 1, 1000);
    const order = normalizeOrderBy(this.#t, options.orderBy);
    for (const [column] of order) {
      if (this.#t.columns[column]?.definition.nullable) {
        throw new InvalidQueryError(`cursor pagination cannot sort by nullable column "${column}"`);
      }
    }
    const lastDirection = order[order.length - 1]?.[1] ?? 'asc';
    for (const pk of this.#t.primaryKey.columns) {
      if (!order.some(([c]) => c === pk)) order.push([pk, lastDirection]);
    }
    const after = options.after == null ? undefined : decodeCursor(options.after, order.length);
    const shape: string[] = ['page:'];
    const values: unknown[] = [];
    if (options.where !== undefined) collectWhere(this.#t, options.where, shape, values);
    shape.push(`|order:${order.map(([c, d]) => `${c} ${d}`).join(',')}|after:${after !== undefined}`);
    const whereCount = values.length;
    if (after !== undefined) values.push(...after);
    values.push(first + 1);
    const rows = await this.#run(shape.join(''), values, () => {
      let q = this.#selectQuery(options.where, order, undefined, undefined, true);
      if (after !== undefined) {
        q = q.where((eb) => keysetCondition(eb, this.#t.name, order, whereCount));
      }
      return q.limit(new ParameterSlot(whereCount + (after?.length ?? 0)) as unknown as number).compile();
    });
    const hasMore = rows.length > first;
    const pageRows = hasMore ? rows.slice(0, first) : rows;
    const last = pageRows[pageRows.length - 1];
    await loadRelations(this.#ctx, this.#t.name, pageRows, options.with as RelationSpec | undefined);
    return {
      rows: pageRows as RowWith<S, N, W>[],
      nextCursor: hasMore && last !== undefined ? encodeCursor(order.map(([c]) => last[c])) : null,
    };
  }

  /** How many rows match `where` (all rows when omitted). */
  async count(where?: Where<RowOf<S, N>>): Promise<number> {
    const shape: string[] = ['count:'];
    const values: unknown[] = [];
    if (where !== undefined) collectWhere(this.#t, where, shape, values);
    const rows = await this.#run(shape.join(''), values, () => {
      let q = this.#db().selectFrom(this.#t.name).select(sql<bigint>`count(*)`.as('count'));
      if (where !== undefined) q = q.where((eb) => buildWhere(eb, this.#t, where, { next: 0 }));
      return q.compile();
    });
    return Number(rows[0]?.count ?? 0);
  }

  /** Inserts one row (validated by the table's insert schema) and returns it as stored. */
  async create(values: InsertOf<S, N>): Promise<RowOf<S, N>> {
    const [row] = await this.#insert([this.#validate('insert', values)]);
    return row as RowOf<S, N>;
  }

  /** Inserts many rows in one statement (per 1000 rows) and returns them in input order. */
  async createMany(values: readonly InsertOf<S, N>[]): Promise<RowOf<S, N>[]> {
    const valid = values.map((v) => this.#validate('insert', v));
    const result: RawRow[] = [];
    for (let i = 0; i < valid.length; i += 1000)
      result.push(...(await this.#insert(valid.slice(i, i + 1000))));
    return result as RowOf<S, N>[];
  }

  /** Updates every row matching `where` (which must not be empty) and returns the updated rows. */
  async update(where: Where<RowOf<S, N>>, patch: UpdateOf<S, N>): Promise<RowOf<S, N>[]> {
    requireFilter(where, 'update');
    const data = this.#validate('update', patch);
    const columns = Object.keys(data);
    const touched = this.#touch.filter((c) => !columns.includes(c));
    if (columns.length === 0 && touched.length === 0)
      throw new InvalidQueryError('update needs at least one column');
    const shape: string[] = [`update:${columns.join(',')}|`];
    const values = columns.map((c) => toDriverValue(this.#column(c), data[c]));
    collectWhere(this.#t, where, shape, values);
    return (await this.#run(shape.join(''), values, () => {
      const set: Record<string, unknown> = {};
      columns.forEach((c, i) => {
        set[c] = new ParameterSlot(i);
      });
      for (const c of touched) set[c] = sql`now()`;
      return this.#db()
        .updateTable(this.#t.name)
        .set(set)
        .where((eb) => buildWhere(eb, this.#t, where, { next: columns.length }))
        .returningAll()
        .compile();
    })) as RowOf<S, N>[];
  }

  /** Updates the row with this primary key; `undefined` when there is none. */
  async updateByKey(key: KeyInput<S, N>, patch: UpdateOf<S, N>): Promise<RowOf<S, N> | undefined> {
    const rows = await this.update(this.#keyWhere(key) as Where<RowOf<S, N>>, patch);
    return rows[0];
  }

  /**
   * Inserts, or updates the row that conflicts on `conflict` columns, atomically
   * (`insert ... on conflict do update`); returns the row as stored.
   */
  async upsert(options: UpsertOptions<S, N>): Promise<RowOf<S, N>> {
    const data = this.#validate('insert', options.values);
    const conflict = [...options.conflict];
    if (conflict.length === 0) throw new InvalidQueryError('upsert needs conflict columns');
    for (const c of conflict) this.#column(c);
    const patch = options.update === undefined ? undefined : this.#validate('update', options.update);
    const insertColumns = Object.keys(data);
    const updateColumns =
      patch === undefined ? insertColumns.filter((c) => !conflict.includes(c)) : Object.keys(patch);
    const values = [
      ...insertColumns.map((c) => toDriverValue(this.#column(c), data[c])),
      ...(patch === undefined ? [] : updateColumns.map((c) => toDriverValue(this.#column(c), patch[c]))),
    ];
    const shape = `upsert:${insertColumns.join(',')}|${conflict.join(',')}|${patch === undefined ? 'excluded' : 'set'}:${updateColumns.join(',')}`;
    const rows = await this.#run(shape, values, () => {
      const row: Record<string, unknown> = {};
      insertColumns.forEach((c, i) => {
        row[c] = new ParameterSlot(i);
      });
      return this.#db()
        .insertInto(this.#t.name)
        .values(row)
        .onConflict((oc) => {
          const set: Record<string, unknown> = {};
          updateColumns.forEach((c, i) => {
            set[c] =
              patch === undefined ? sql.ref(`excluded.${c}`) : new ParameterSlot(insertColumns.length + i);
          });
          for (const c of this.#touch) if (!(c in set)) set[c] = sql`now()`;
          // With nothing to change, a no-op assignment still makes RETURNING yield the existing row.
          const first = conflict[0] as string;
          if (Object.keys(set).length === 0) set[first] = sql.ref(`excluded.${first}`);
          return oc.columns(conflict).doUpdateSet(set);
        })
        .returningAll()
        .compile();
    });
    return rows[0] as RowOf<S, N>;
  }

  /** Deletes every row matching `where` (which must not be empty); returns how many were deleted. */
  async delete(where: Where<RowOf<S, N>>): Promise<number> {
    requireFilter(where, 'delete');
    const shape: string[] = ['delete:'];
    const values: unknown[] = [];
    collectWhere(this.#t, where, shape, values);
    const template = this.#ctx.templates.get(
      shape.join(''),
      () =>
        new CompiledTemplate(
          this.#db()
            .deleteFrom(this.#t.name)
            .where((eb) => buildWhere(eb, this.#t, where, { next: 0 }))
            .compile(),
        ),
    );
    const result = await this.#ctx.runner.kysely.executeQuery(template.bind(values));
    return Number(result.numAffectedRows ?? 0n);
  }

  /** Deletes the row with this primary key; `true` if there was one. */
  async deleteByKey(key: KeyInput<S, N>): Promise<boolean> {
    return (await this.delete(this.#keyWhere(key) as Where<RowOf<S, N>>)) > 0;
  }

  #db() {
    return this.#ctx.runner.kysely;
  }

  #column(name: string) {
    const c = this.#t.columns[name];
    if (c === undefined) throw new InvalidQueryError(`table "${this.#t.name}" has no column "${name}"`);
    return c;
  }

  #validate(kind: 'insert' | 'update', input: unknown): RawRow {
    const schema = this.#t.schemas[kind] as z.ZodType<RawRow, unknown>;
    const result = schema.safeParse(input);
    if (!result.success) throw new ValidationError(this.#t.name, kind, result.error.issues);
    // zod keeps keys given as `undefined`; they mean "not set" here, and must not shape the statement.
    const data: RawRow = {};
    for (const [k, v] of Object.entries(result.data)) if (v !== undefined) data[k] = v;
    return data;
  }

  #keyWhere(key: unknown): Where<RowOf<S, N>> {
    const pk = this.#t.primaryKey.columns;
    if (typeof key === 'object' && key !== null && !(key instanceof Date)) {
      const where: RawRow = {};
      for (const c of pk) {
        const v = (key as RawRow)[c];
        if (v === undefined || v === null)
          throw new InvalidQueryError(`key of "${this.#t.name}" needs column "${c}"`);
        where[c] = v;
      }
      return where as Where<RowOf<S, N>>;
    }
    const [only, ...rest] = pk;
    if (only === undefined || rest.length > 0) {
      throw new InvalidQueryError(
        `"${this.#t.name}" has a composite key: pass an object of ${pk.join(', ')}`,
      );
    }
    if (key === undefined || key === null) throw new InvalidQueryError(`key of "${this.#t.name}" is missing`);
    return { [only]: key } as Where<RowOf<S, N>>;
  }

  #selectQuery(
    where: object | undefined,
    order: [string, SortDirection][],
    limit: number | undefined,
    offset: number | undefined,
    open = false,
  ) {
    const slots = { next: 0 };
    let q = this.#db().selectFrom(this.#t.name).selectAll();
    if (where !== undefined) q = q.where((eb) => buildWhere(eb, this.#t, where, slots));
    for (const [column, direction] of order) q = q.orderBy(sql.ref(`${this.#t.name}.${column}`), direction);
    if (open) return q;
    // Slot numbers continue after the filter's, matching the order values were collected in.
    if (limit !== undefined) q = q.limit(new ParameterSlot(slots.next++) as unknown as number);
    if (offset !== undefined) q = q.offset(new ParameterSlot(slots.next++) as unknown as number);
    return q;
  }

  async #insert(rows: RawRow[]): Promise<RawRow[]> {
    if (rows.length === 0) return [];
    const shape = `insert:${rows.map((r) => Object.keys(r).join(',')).join('|')}`;
    const values: unknown[] = [];
    for (const r of rows)
      for (const [c, v] of Object.entries(r)) values.push(toDriverValue(this.#column(c), v));
    return this.#run(shape, values, () => {
      let i = 0;
      const slotted = rows.map((r) => {
        const row: Record<string, unknown> = {};
        for (const c of Object.keys(r)) row[c] = new ParameterSlot(i++);
        return row;
      });
      // A row with no explicit values still needs a statement: `insert ... default values`.
      const q = this.#db().insertInto(this.#t.name);
      return (
        slotted.length === 1 && Object.keys(slotted[0] ?? {}).length === 0
          ? q.defaultValues()
          : q.values(slotted)
      )
        .returningAll()
        .compile();
    });
  }

  async #run(shape: string, values: unknown[], build: () => CompiledQuery): Promise<RawRow[]> {
    const template = this.#ctx.templates.get(`${this.#t.name}:${shape}`, () => new CompiledTemplate(build()));
    const result = await this.#ctx.runner.kysely.executeQuery(template.bind(values));
    return result.rows as RawRow[];
  }
}

function checkCount(name: string, value: number, min: number, max = MAX_LIMIT): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidQueryError(`${name} must be an integer between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function requireFilter(where: object, operation: string): void {
  if (Object.values(where).every((v) => v === undefined)) {
    throw new InvalidQueryError(`${operation} needs a non-empty where (refusing to touch every row)`);
  }
}

/** `(a > $1) or (a = $1 and b > $2) ...`, honouring each column's direction. */
function keysetCondition(
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
