import { type CompiledQuery, type QueryResult, sql } from 'kysely';
import type { z } from 'zod';
import { InvalidQueryError, RowNotFoundError, ValidationError } from '../errors/validation-error.js';
import { CompiledTemplate, ParameterSlot } from '../query-compiler/compiled-template.js';
import type { Relation } from '../schema/relation.js';
import type { AnySchema } from '../schema/schema.js';
import type { AnyTable } from '../schema/table.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { toDriverValue } from './driver-value.js';
import type { TableFilter } from './filter-tables.js';
import type { FilterValueCodec } from './filter-value.js';
import { addJoins, type JoinedRelation, joinShape, loadBelowJoins, planJoins } from './joined-relations.js';
import { keysetCondition } from './keyset.js';
import { connectLinks, disconnectLinks } from './link-writes.js';
import type { ModelContext, ModelRunner, RawRow } from './model-context.js';
import {
  checkCount,
  checkNested,
  checkOptions,
  FIND_MANY_OPTIONS,
  FIND_OPTIONS,
  type FindManyOptions,
  MAX_ROWS_PER_INSERT,
  type NestedCreate,
  PAGINATE_OPTIONS,
  type Page,
  type PaginateOptions,
  type UpsertOptions,
  type WriteFilter,
} from './model-options.js';
import type {
  ColumnOf,
  ExactWith,
  InsertOf,
  KeyInput,
  RelationsOf,
  RowOf,
  RowWith,
  SelectedRow,
  TableName,
  UpdateOf,
  WhereOf,
  WithSpec,
} from './model-types.js';
import { normalizeOrderBy, type SortDirection } from './order-by.js';
import { type CheckedRelation, checkWith, loadCheckedRelations } from './relation-loader.js';
import type { UntypedExpressionBuilder, UntypedSelect } from './untyped-kysely.js';
import { type AllRows, buildWhere, type CheckedWhere, collectWhere, isAllRows } from './where-filter.js';

const NO_RELATIONS = { joined: [], rest: [] } as const;

const rowsOf = (result: QueryResult<unknown>): RawRow[] => result.rows as RawRow[];

/**
 * Typed access to one table: CRUD, filters, cursor pagination and eager relations. Every query is
 * built and compiled once per shape and reused (on PostgreSQL as a named prepared statement); values
 * always travel as parameters. Filters follow the safe-filter rule (see {@link Where}).
 */
export class Model<S extends AnySchema, N extends TableName<S>> {
  /** The table this model reads and writes. */
  readonly table: S['tables'][N];
  readonly #ctx: ModelContext;
  readonly #t: AnyTable;
  readonly #f: TableFilter;
  readonly #touch: string[];
  /** The single primary-key column and its check, when the key is not composite. */
  readonly #pk: string | undefined;
  readonly #pkCodec: FilterValueCodec | undefined;
  readonly #soft: string | undefined;
  /** Template-cache keys of the hot paths, built once: a constant string is hashed once. */
  readonly #findKey: string;
  readonly #findSoftKey: string;
  /** The column list of the last single-row insert, and its cache key (rows usually repeat it). */
  #insertColumns: string[] = [];
  #insertKey = '';
  /** Every declared column, in order: the explicit select list of a statement with joins. */
  readonly #allColumns: readonly string[];

  /** @internal Models are created by the database: use `db.models.<table>`. */
  constructor(ctx: ModelContext, table: S['tables'][N]) {
    this.#ctx = ctx;
    this.table = table;
    this.#t = table;
    this.#f = ctx.filters.get(table.name);
    this.#touch = Object.entries(this.#t.columns)
      .filter(([, c]) => c.definition.touchOnUpdate)
      .map(([n]) => n);
    const [only, ...rest] = this.#t.primaryKey.columns;
    this.#pk = rest.length === 0 ? only : undefined;
    this.#pkCodec = this.#pk === undefined ? undefined : this.#f.codecs.get(this.#pk);
    this.#soft = this.#t.softDelete;
    this.#findKey = `${table.name}:find`;
    this.#findSoftKey = `${table.name}:find:soft`;
    this.#allColumns = Object.keys(this.#t.columns);
  }

  /** The row with this primary key, or `undefined`. */
  async find<
    const W extends WithSpec<S, N> = Record<never, never>,
    const C extends ColumnOf<S, N> = ColumnOf<S, N>,
  >(
    key: KeyInput<S, N>,
    options: {
      readonly with?: ExactWith<S, N, W> & WithSpec<S, N>;
      readonly select?: readonly C[];
      readonly withDeleted?: boolean;
    } = {},
  ): Promise<SelectedRow<S, N, C, W> | undefined> {
    checkOptions(options, FIND_OPTIONS, 'find');
    const pk = this.#pk;
    // The hot path: a scalar key, all columns, no relations: one cached statement, one parameter.
    if (
      pk !== undefined &&
      options.with === undefined &&
      options.select === undefined &&
      (typeof key !== 'object' || key === null || key instanceof Date)
    ) {
      if (key === undefined || key === null)
        throw new InvalidQueryError(`key of "${this.#t.name}" is missing`);
      const value = (this.#pkCodec as FilterValueCodec)(key, pk);
      const soft = this.#soft !== undefined && options.withDeleted !== true;
      const rows = await this.#runKey(
        this.#ctx.reader(),
        soft ? this.#findSoftKey : this.#findKey,
        [value],
        () => {
          let q = this.#db()
            .selectFrom(this.#t.name)
            .selectAll()
            .where(sql.ref(`${this.#t.name}.${pk}`), '=', new ParameterSlot(0));
          if (soft) q = q.where(sql.ref(`${this.#t.name}.${this.#soft}`), 'is', null);
          return q.limit(1).compile();
        },
      );
      return rows[0] as SelectedRow<S, N, C, W> | undefined;
    }
    const rows = await this.findMany<W, C>({ ...options, where: this.#keyWhere(key), limit: 1 } as never);
    return rows[0];
  }

  /** The row with this primary key; `RowNotFoundError` (404) when there is none. */
  async findOrThrow<
    const W extends WithSpec<S, N> = Record<never, never>,
    const C extends ColumnOf<S, N> = ColumnOf<S, N>,
  >(
    key: KeyInput<S, N>,
    options: {
      readonly with?: ExactWith<S, N, W> & WithSpec<S, N>;
      readonly select?: readonly C[];
      readonly withDeleted?: boolean;
    } = {},
  ): Promise<SelectedRow<S, N, C, W>> {
    const row = await this.find<W, C>(key, options);
    if (row === undefined) throw new RowNotFoundError(this.#t.name);
    return row;
  }

  /** The first row matching, or `undefined`. */
  async findFirst<
    const W extends WithSpec<S, N> = Record<never, never>,
    const C extends ColumnOf<S, N> = ColumnOf<S, N>,
    const F extends WhereOf<S, N> = WhereOf<S, N>,
  >(
    options: Omit<FindManyOptions<S, N, W, C, F>, 'limit'> = {},
  ): Promise<SelectedRow<S, N, C, W> | undefined> {
    const rows = await this.findMany<W, C, F>({ ...options, limit: 1 });
    return rows[0];
  }

  /** Rows matching `where` (every row when omitted), sorted and limited, with relations loaded. */
  async findMany<
    const W extends WithSpec<S, N> = Record<never, never>,
    const C extends ColumnOf<S, N> = ColumnOf<S, N>,
    const F extends WhereOf<S, N> = WhereOf<S, N>,
  >(options: FindManyOptions<S, N, W, C, F> = {}): Promise<SelectedRow<S, N, C, W>[]> {
    checkOptions(options, FIND_MANY_OPTIONS, 'findMany');
    const shape: string[] = ['select:'];
    const values: unknown[] = [];
    const soft = this.#softFilter(options.withDeleted, shape);
    if (options.where !== undefined) collectWhere(this.#ctx.filters, this.#f, options.where, shape, values);
    const columns = this.#selection(options.select, options.with, shape);
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
    const { joined, rest } = this.#relations(options.with, shape);
    const runner = this.#ctx.reader();
    const rows = await this.#run(runner, shape.join(''), values, () => {
      const own = joined.length === 0 ? columns : (columns ?? this.#allColumns);
      const q = this.#selectQuery(options.where, order, own, soft, options.limit, options.offset);
      return this.#compileJoined(q, own, joined);
    });
    if (joined.length > 0) await loadBelowJoins(this.#ctx, runner, rows, joined);
    await loadCheckedRelations(this.#ctx, runner, this.#t.name, rows, rest);
    return this.#trim(rows, columns, options.select) as SelectedRow<S, N, C, W>[];
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
  async paginate<
    const W extends WithSpec<S, N> = Record<never, never>,
    const C extends ColumnOf<S, N> = ColumnOf<S, N>,
    const F extends WhereOf<S, N> = WhereOf<S, N>,
  >(options: PaginateOptions<S, N, W, C, F>): Promise<Page<SelectedRow<S, N, C, W>>> {
    checkOptions(options, PAGINATE_OPTIONS, 'paginate');
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
    let after: unknown[] | undefined;
    if (options.after != null) {
      if (typeof options.after !== 'string') throw new InvalidQueryError('malformed pagination cursor');
      const decoded = decodeCursor(options.after, order.length);
      // A tampered cursor must fail here, typed, not as a driver error on a mistyped parameter.
      after = decoded.map((v, i) => {
        const column = (order[i] as [string, SortDirection])[0];
        try {
          return (this.#f.codecs.get(column) as FilterValueCodec)(v, column);
        } catch {
          throw new InvalidQueryError('malformed pagination cursor');
        }
      });
    }
    const shape: string[] = ['page:'];
    const values: unknown[] = [];
    const soft = this.#softFilter(options.withDeleted, shape);
    if (options.where !== undefined) collectWhere(this.#ctx.filters, this.#f, options.where, shape, values);
    const columns = this.#selection(
      options.select,
      options.with,
      shape,
      order.map(([c]) => c),
    );
    shape.push(`|order:${order.map(([c, d]) => `${c} ${d}`).join(',')}|after:${after !== undefined}`);
    const { joined, rest } = this.#relations(options.with, shape);
    const whereCount = values.length;
    if (after !== undefined) values.push(...after);
    values.push(first + 1);
    const runner = this.#ctx.reader();
    const rows = await this.#run(runner, shape.join(''), values, () => {
      const own = joined.length === 0 ? columns : (columns ?? this.#allColumns);
      let q = this.#selectQuery(options.where, order, own, soft, undefined, undefined, true);
      if (after !== undefined) {
        q = q.where((eb) => keysetCondition(eb, this.#t.name, order, whereCount));
      }
      q = q.limit(new ParameterSlot(whereCount + (after?.length ?? 0)) as unknown as number);
      return this.#compileJoined(q, own, joined);
    });
    const hasMore = rows.length > first;
    const pageRows = hasMore ? rows.slice(0, first) : rows;
    const last = pageRows[pageRows.length - 1];
    const nextCursor = hasMore && last !== undefined ? encodeCursor(order.map(([c]) => last[c])) : null;
    if (joined.length > 0) await loadBelowJoins(this.#ctx, runner, pageRows, joined);
    await loadCheckedRelations(this.#ctx, runner, this.#t.name, pageRows, rest);
    return {
      rows: this.#trim(pageRows, columns, options.select) as SelectedRow<S, N, C, W>[],
      nextCursor,
    };
  }

  /** How many rows match `where` (every row when omitted). */
  async count<const F extends WhereOf<S, N> = WhereOf<S, N>>(
    where?: F & CheckedWhere<F>,
    options: { readonly withDeleted?: boolean } = {},
  ): Promise<number> {
    const shape: string[] = ['count:'];
    const values: unknown[] = [];
    const soft = this.#softFilter(options.withDeleted, shape);
    if (where !== undefined) collectWhere(this.#ctx.filters, this.#f, where, shape, values);
    const rows = await this.#run(this.#ctx.reader(), shape.join(''), values, () => {
      let q = this.#db().selectFrom(this.#t.name).select(sql<bigint>`count(*)`.as('count'));
      if (soft) q = q.where(sql.ref(`${this.#t.name}.${this.#soft}`), 'is', null);
      if (where !== undefined) q = q.where((eb) => this.#buildWhere(eb, where));
      return q.compile();
    });
    return Number(rows[0]?.count ?? 0);
  }

  /**
   * Inserts one row (validated by the table's insert schema) and returns it as stored. `nested`
   * creates related rows (hasMany, hasOne, manyToMany) in the same transaction, their foreign keys
   * filled in; the returned row carries them under the relation names.
   *
   * @example
   * ```ts
   * const user = await db.models.users.create({ email }, { posts: [{ title: 'Hello' }] });
   * ```
   */
  async create(values: InsertOf<S, N>): Promise<RowOf<S, N>>;
  async create<const R extends NestedCreate<S, N>>(
    values: InsertOf<S, N>,
    nested: R,
  ): Promise<RowWith<S, N, { [K in keyof R]: true }>>;
  async create(values: InsertOf<S, N>, nested?: object): Promise<never> {
    if (nested === undefined) {
      const [row] = await this.#insert(this.#ctx.runner, [this.#validate('insert', values)]);
      return row as never;
    }
    const data = this.#validate('insert', values);
    const relations = checkNested(this.#f, nested);
    return this.#ctx.atomic(async (ctx) => {
      const model = this.#in(ctx);
      const [row] = (await model.#insert(ctx.runner, [data])) as [RawRow];
      for (const [name, rel, children] of relations) {
        row[name] = await model.#createRelated(ctx, name, rel, row, children);
      }
      return row as never;
    });
  }

  /**
   * Inserts many rows and returns them in input order. Atomic: all rows or none, in one transaction
   * (the current one, when called inside `transaction()`), split into statements that stay under
   * the dialect's parameter limit (65,535 on PostgreSQL, 32,767 on PGlite).
   */
  async createMany(values: readonly InsertOf<S, N>[]): Promise<RowOf<S, N>[]> {
    if (!Array.isArray(values)) throw new InvalidQueryError('createMany needs an array of rows');
    const valid = values.map((v) => this.#validate('insert', v));
    const batches: RawRow[][] = [];
    let batch: RawRow[] = [];
    let params = 0;
    for (const row of valid) {
      const n = Math.max(1, Object.keys(row).length);
      if (batch.length > 0 && (params + n > this.#ctx.maxParameters || batch.length >= MAX_ROWS_PER_INSERT)) {
        batches.push(batch);
        batch = [];
        params = 0;
      }
      batch.push(row);
      params += n;
    }
    if (batch.length > 0) batches.push(batch);
    if (batches.length === 0) return [];
    if (batches.length === 1)
      return (await this.#insert(this.#ctx.runner, batches[0] as RawRow[])) as RowOf<S, N>[];
    return this.#ctx.atomic(async (ctx) => {
      const model = this.#in(ctx);
      const result: RawRow[] = [];
      for (const b of batches) result.push(...(await model.#insert(ctx.runner, b)));
      return result as RowOf<S, N>[];
    });
  }

  /**
   * Updates the rows matching `where` and returns them. An empty or undefined filter is refused;
   * to update every row say so: `update({ all: true }, patch)` or `updateAll(patch)`.
   */
  async update<const F extends WhereOf<S, N> | AllRows>(
    where: WriteFilter<F>,
    patch: UpdateOf<S, N>,
  ): Promise<RowOf<S, N>[]> {
    return this.#update(where, patch);
  }

  /** Updates every row of the table (soft-deleted ones excepted). */
  async updateAll(patch: UpdateOf<S, N>): Promise<RowOf<S, N>[]> {
    return this.#update({ all: true }, patch);
  }

  /** Updates the row with this primary key; `undefined` when there is none. */
  async updateByKey(key: KeyInput<S, N>, patch: UpdateOf<S, N>): Promise<RowOf<S, N> | undefined> {
    const rows = await this.#update(this.#keyWhere(key), patch);
    return rows[0];
  }

  /**
   * Inserts, or updates the row that conflicts on `conflict` columns, atomically
   * (`insert ... on conflict do update`); returns the row as stored.
   */
  async upsert(options: UpsertOptions<S, N>): Promise<RowOf<S, N>> {
    const data = this.#validate('insert', options.values);
    if (!Array.isArray(options.conflict) || options.conflict.length === 0)
      throw new InvalidQueryError('upsert needs conflict columns');
    const conflict = [...options.conflict];
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
    const rows = await this.#run(this.#ctx.runner, shape, values, () => {
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

  /**
   * Deletes the rows matching `where` (on a soft-delete table: marks them deleted); returns how many.
   * An empty or undefined filter is refused; to delete every row, `delete({ all: true })` or `deleteAll()`.
   */
  async delete<const F extends WhereOf<S, N> | AllRows>(where: WriteFilter<F>): Promise<number> {
    if (this.#soft !== undefined) return (await this.#update(where, {}, { [this.#soft]: sql`now()` })).length;
    return this.#delete(where);
  }

  /** Deletes every row of the table (on a soft-delete table: marks them deleted). */
  async deleteAll(): Promise<number> {
    return this.delete({ all: true } as never);
  }

  /** Deletes the row with this primary key; `true` if there was one. */
  async deleteByKey(key: KeyInput<S, N>): Promise<boolean> {
    return (await this.delete(this.#keyWhere(key) as never)) > 0;
  }

  /** Soft-delete tables: really deletes the matching rows, deleted or not. */
  async hardDelete<const F extends WhereOf<S, N> | AllRows>(where: WriteFilter<F>): Promise<number> {
    return this.#delete(where);
  }

  /** Soft-delete tables: clears `deleted_at` on the matching deleted rows; returns them. */
  async restore<const F extends WhereOf<S, N> | AllRows>(where: WriteFilter<F>): Promise<RowOf<S, N>[]> {
    const soft = this.#soft;
    if (soft === undefined) throw new InvalidQueryError(`table "${this.#t.name}" does not use softDelete`);
    return this.#update(where, {}, { [soft]: null }, true);
  }

  /**
   * Many-to-many: links the row with key `key` to the target rows with keys `targets`, through the
   * join table (already linked pairs are left alone). Returns how many links were added.
   */
  connect(
    key: KeyInput<S, N>,
    relationName: keyof RelationsOf<S, N> & string,
    targets: readonly unknown[],
  ): Promise<number> {
    return connectLinks(this.#ctx, this.#f, key, relationName, targets);
  }

  /** Many-to-many: removes the links to the target rows with keys `targets`; returns how many. */
  disconnect(
    key: KeyInput<S, N>,
    relationName: keyof RelationsOf<S, N> & string,
    targets: readonly unknown[],
  ): Promise<number> {
    return disconnectLinks(this.#ctx, this.#f, key, relationName, targets);
  }

  async #createRelated(
    ctx: ModelContext,
    name: string,
    rel: Relation,
    parent: RawRow,
    children: unknown,
  ): Promise<unknown> {
    const target = new Model<S, TableName<S>>(
      ctx,
      ctx.filters.get(rel.target).table as S['tables'][TableName<S>],
    );
    if (rel.kind === 'manyToMany') {
      if (!Array.isArray(children)) throw new InvalidQueryError(`nested create "${name}" needs an array`);
      const created = (await target.createMany(children)) as RawRow[];
      const targetKey = rel.targetKey ?? ctx.filters.get(rel.target).table.primaryKey.columns[0];
      const sourceKey = rel.sourceKey ?? this.#pk;
      if (targetKey === undefined || sourceKey === undefined)
        throw new InvalidQueryError(`relation "${name}" needs explicit keys: a primary key is composite`);
      await this.#in(ctx).connect(
        parent[sourceKey] as never,
        name as never,
        created.map((r) => r[targetKey]),
      );
      return created;
    }
    if (rel.kind === 'belongsTo') throw new InvalidQueryError(`nested create through belongsTo "${name}"`);
    const sourceKey = rel.sourceKey ?? this.#pk;
    if (sourceKey === undefined)
      throw new InvalidQueryError(
        `relation "${name}" needs an explicit sourceKey: the primary key is composite`,
      );
    const link = (child: unknown): unknown => {
      if (typeof child !== 'object' || child === null || Array.isArray(child))
        throw new InvalidQueryError(`nested create "${name}" needs row objects`);
      return { ...child, [rel.foreignKey]: parent[sourceKey] };
    };
    if (rel.kind === 'hasOne') return target.create(link(children) as never);
    if (!Array.isArray(children)) throw new InvalidQueryError(`nested create "${name}" needs an array`);
    return target.createMany(children.map(link) as never);
  }

  /** This model bound to another context (the transaction of a nested or batched write). */
  #in(ctx: ModelContext): Model<S, N> {
    return ctx === this.#ctx ? this : new Model<S, N>(ctx, this.table);
  }

  async #update(
    where: unknown,
    patch: unknown,
    extra: Record<string, unknown> = {},
    deletedOnly = false,
  ): Promise<RowOf<S, N>[]> {
    const all = isAllRows(this.#f, where);
    if (!all && (where === undefined || where === null)) {
      throw new InvalidQueryError(
        'update needs a filter: pass { all: true } (or use updateAll) to update every row',
      );
    }
    const data = this.#validate('update', patch);
    const columns = Object.keys(data);
    const extraColumns = Object.keys(extra);
    const touched = this.#touch.filter((c) => !columns.includes(c));
    if (columns.length === 0 && touched.length === 0 && extraColumns.length === 0)
      throw new InvalidQueryError('update needs at least one column');
    const shape: string[] = [
      `update:${columns.join(',')}|${extraColumns.join(',')}|${deletedOnly ? 'deleted' : ''}`,
    ];
    const values = columns.map((c) => toDriverValue(this.#column(c), data[c]));
    const soft = this.#softFilter(undefined, shape);
    if (all) shape.push('|all');
    else collectWhere(this.#ctx.filters, this.#f, where, shape, values);
    return (await this.#run(this.#ctx.runner, shape.join(''), values, () => {
      const set: Record<string, unknown> = {};
      columns.forEach((c, i) => {
        set[c] = new ParameterSlot(i);
      });
      for (const c of touched) set[c] = sql`now()`;
      Object.assign(set, extra);
      let q = this.#db().updateTable(this.#t.name).set(set);
      if (soft) q = q.where(sql.ref(`${this.#t.name}.${this.#soft}`), deletedOnly ? 'is not' : 'is', null);
      if (!all) q = q.where((eb) => this.#buildWhere(eb, where as object, columns.length));
      return q.returningAll().compile();
    })) as RowOf<S, N>[];
  }

  async #delete(where: unknown): Promise<number> {
    const all = isAllRows(this.#f, where);
    if (!all && (where === undefined || where === null)) {
      throw new InvalidQueryError(
        'delete needs a filter: pass { all: true } (or use deleteAll) to delete every row',
      );
    }
    const shape: string[] = ['delete:'];
    const values: unknown[] = [];
    if (all) shape.push('all');
    else collectWhere(this.#ctx.filters, this.#f, where, shape, values);
    const template = this.#ctx.templates.get(`${this.#t.name}:${shape.join('')}`, () => {
      let q = this.#db().deleteFrom(this.#t.name);
      if (!all) q = q.where((eb) => this.#buildWhere(eb, where as object));
      return new CompiledTemplate(q.compile());
    });
    const result = await this.#ctx.runner.execute(template.bind(values));
    return Number(result.numAffectedRows ?? 0n);
  }

  #db() {
    return this.#ctx.runner.kysely;
  }

  /**
   * Checks a `with` spec (before any query runs) and splits it: top-level belongsTo relations join
   * into the main statement, the others load by one query each. Records the joins in the shape.
   */
  #relations(
    withSpec: unknown,
    shape: string[],
  ): { joined: readonly JoinedRelation[]; rest: readonly CheckedRelation[] } {
    if (withSpec === undefined) return NO_RELATIONS;
    const plan = planJoins(this.#ctx, checkWith(this.#ctx, this.#t.name, withSpec));
    if (plan.joined.length > 0) shape.push(joinShape(plan.joined));
    return plan;
  }

  /** Compiles a select; with joins, its rows travel as arrays and are split into rows and owners. */
  #compileJoined(
    q: UntypedSelect,
    own: readonly string[] | undefined,
    joined: readonly JoinedRelation[],
  ): CompiledTemplate {
    if (joined.length === 0 || own === undefined) return new CompiledTemplate(q.compile());
    const { query, rows } = addJoins(q, this.#t.name, own, joined);
    return new CompiledTemplate(query.compile(), rows);
  }

  #buildWhere(eb: UntypedExpressionBuilder, where: object, first = 0) {
    return buildWhere(eb, this.#ctx.filters, { t: this.#f, alias: this.#t.name }, where, { next: first });
  }

  /** Whether reads skip soft-deleted rows; records it in the shape. */
  #softFilter(withDeleted: unknown, shape: string[]): boolean {
    if (withDeleted !== undefined && typeof withDeleted !== 'boolean')
      throw new InvalidQueryError('withDeleted must be a boolean');
    const soft = this.#soft !== undefined && withDeleted !== true;
    if (soft) shape.push('soft|');
    return soft;
  }

  /**
   * The columns to select: those asked for, plus what relations and cursors need to work (removed
   * again from the rows returned). `undefined`: every column.
   */
  #selection(
    select: readonly string[] | undefined,
    withSpec: object | undefined,
    shape: string[],
    needed: readonly string[] = [],
  ): string[] | undefined {
    if (select === undefined) return undefined;
    if (!Array.isArray(select) || select.length === 0)
      throw new InvalidQueryError('select must be a non-empty array of column names');
    const columns = new Set<string>();
    for (const c of select) {
      if (typeof c !== 'string' || !this.#f.codecs.has(c))
        throw new InvalidQueryError(`table "${this.#t.name}" has no column "${String(c)}"`);
      columns.add(c);
    }
    for (const c of needed) columns.add(c);
    for (const [name, option] of Object.entries(withSpec ?? {})) {
      if (option === undefined || option === false) continue;
      const rel = this.#f.relations.get(name);
      if (rel === undefined) continue; // reported by the loader
      if (rel.kind === 'belongsTo') columns.add(rel.foreignKey);
      else {
        const key = rel.sourceKey ?? this.#pk;
        if (key !== undefined) columns.add(key);
      }
    }
    const list = [...columns];
    shape.push(`|cols:${list.join(',')}`);
    return list;
  }

  #trim(rows: RawRow[], columns: string[] | undefined, select: readonly string[] | undefined): RawRow[] {
    if (columns === undefined || select === undefined || columns.length === select.length) return rows;
    const extra = columns.filter((c) => !select.includes(c));
    for (const row of rows) for (const c of extra) delete row[c];
    return rows;
  }

  #column(name: string) {
    const c = Object.hasOwn(this.#t.columns, name) ? this.#t.columns[name] : undefined;
    if (c === undefined) throw new InvalidQueryError(`table "${this.#t.name}" has no column "${name}"`);
    return c;
  }

  #validate(kind: 'insert' | 'update', input: unknown): RawRow {
    const schema = this.#t.schemas[kind] as z.ZodType<RawRow, unknown>;
    const result = schema.safeParse(input);
    if (!result.success) throw new ValidationError(this.#t.name, kind, result.error.issues);
    // zod keeps keys given as `undefined`; they mean "not set" here, and must not shape the statement.
    const data = result.data;
    for (const k in data) if (data[k] === undefined) delete data[k];
    return data;
  }

  #keyWhere(key: unknown): WhereOf<S, N> {
    const pk = this.#t.primaryKey.columns;
    if (typeof key === 'object' && key !== null && !(key instanceof Date)) {
      const where: RawRow = {};
      for (const c of pk) {
        const v = (key as RawRow)[c];
        if (v === undefined || v === null)
          throw new InvalidQueryError(`key of "${this.#t.name}" needs column "${c}"`);
        where[c] = v;
      }
      for (const k of Object.keys(key)) {
        if (!pk.includes(k)) throw new InvalidQueryError(`"${k}" is not a key column of "${this.#t.name}"`);
      }
      return where as WhereOf<S, N>;
    }
    const only = this.#pk;
    if (only === undefined) {
      throw new InvalidQueryError(
        `"${this.#t.name}" has a composite key: pass an object of ${pk.join(', ')}`,
      );
    }
    if (key === undefined || key === null) throw new InvalidQueryError(`key of "${this.#t.name}" is missing`);
    return { [only]: key } as WhereOf<S, N>;
  }

  #selectQuery(
    where: object | undefined,
    order: [string, SortDirection][],
    columns: readonly string[] | undefined,
    soft: boolean,
    limit: number | undefined,
    offset: number | undefined,
    open = false,
  ) {
    const slots = { next: 0 };
    const base = this.#db().selectFrom(this.#t.name);
    let q =
      columns === undefined
        ? base.selectAll()
        : base.select(columns.map((c) => sql.ref(`${this.#t.name}.${c}`).as(c)));
    if (soft) q = q.where(sql.ref(`${this.#t.name}.${this.#soft}`), 'is', null);
    if (where !== undefined)
      q = q.where((eb) =>
        buildWhere(eb, this.#ctx.filters, { t: this.#f, alias: this.#t.name }, where, slots),
      );
    for (const [column, direction] of order) q = q.orderBy(sql.ref(`${this.#t.name}.${column}`), direction);
    if (open) return q;
    // Slot numbers continue after the filter's, matching the order values were collected in.
    if (limit !== undefined) q = q.limit(new ParameterSlot(slots.next++) as unknown as number);
    if (offset !== undefined) q = q.offset(new ParameterSlot(slots.next++) as unknown as number);
    return q;
  }

  /** Not `async`: the caller awaits the statement's own promise, one promise hop fewer per insert. */
  #insert(runner: ModelRunner, rows: RawRow[]): Promise<RawRow[]> {
    if (rows.length === 0) return Promise.resolve([]);
    const values: unknown[] = [];
    let key: string;
    if (rows.length === 1 && this.#sameColumnsAsLastInsert(rows[0] as RawRow)) {
      const row = rows[0] as RawRow;
      for (const c in row) values.push(toDriverValue(this.#column(c), row[c]));
      key = this.#insertKey;
    } else {
      let shape = `${this.#t.name}:insert:`;
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r] as RawRow;
        if (r > 0) shape += '|';
        let first = true;
        for (const c in row) {
          shape += first ? c : `,${c}`;
          first = false;
          values.push(toDriverValue(this.#column(c), row[c]));
        }
      }
      key = shape;
      if (rows.length === 1) {
        this.#insertColumns = Object.keys(rows[0] as RawRow);
        this.#insertKey = shape;
      }
    }
    return this.#runKey(runner, key, values, () => {
      let i = 0;
      const slotted = rows.map((r) => {
        const row: Record<string, unknown> = {};
        for (const c of Object.keys(r)) row[c] = new ParameterSlot(i++);
        return row;
      });
      // A row with no explicit values still needs a statement: `insert ... default values`.
      const q = runner.kysely.insertInto(this.#t.name);
      return (
        slotted.length === 1 && Object.keys(slotted[0] ?? {}).length === 0
          ? q.defaultValues()
          : q.values(slotted)
      )
        .returningAll()
        .compile();
    });
  }

  #sameColumnsAsLastInsert(row: RawRow): boolean {
    const last = this.#insertColumns;
    let i = 0;
    for (const c in row) if (last[i++] !== c) return false;
    return i === last.length && i > 0;
  }

  #run(
    runner: ModelRunner,
    shape: string,
    values: unknown[],
    build: () => CompiledQuery | CompiledTemplate,
  ): Promise<RawRow[]> {
    return this.#runKey(runner, `${this.#t.name}:${shape}`, values, build);
  }

  /** Not `async`: the statement's promise is shaped by one `then`, one hop fewer per query. */
  #runKey(
    runner: ModelRunner,
    key: string,
    values: unknown[],
    build: () => CompiledQuery | CompiledTemplate,
  ): Promise<RawRow[]> {
    const template = this.#ctx.templates.get(key, () => {
      const built = build();
      return built instanceof CompiledTemplate ? built : new CompiledTemplate(built);
    });
    const running = runner.execute(template.bind(values));
    const mapper = template.arrayRows;
    return mapper === undefined
      ? running.then(rowsOf)
      : running.then((result) => mapper.map(result.rows as unknown[][]));
  }
}
