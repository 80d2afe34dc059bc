import type { ConstraintColumns } from '../errors/map-database-error.js';
import { DatabaseArgumentError } from '../errors/zephyr-db-error.js';
import type { Relation } from './relation.js';
import type { KyselyTable } from './row-types.js';
import type { AnyTable } from './table.js';

/** Tables keyed by their SQL name. */
export type TablesByName<T extends readonly AnyTable[]> = { [X in T[number] as X['name']]: X };

/** Relations per table: `{ users: { posts: relation.hasMany(...) } }`. */
export type RelationsInput<Names extends string> = {
  readonly [N in Names]?: Readonly<Record<string, Relation<Names>>>;
};

/** A complete declared schema: tables, relations and the lookups derived from them. */
export interface Schema<
  Tables extends Record<string, AnyTable> = Record<string, AnyTable>,
  Rels extends RelationsInput<keyof Tables & string> = RelationsInput<keyof Tables & string>,
> {
  readonly tables: Tables;
  readonly relations: Rels;
  /** Constraint name → columns, so database errors can name columns PostgreSQL leaves out. */
  readonly constraintColumns: ConstraintColumns;
}

/** Any schema. */
export type AnySchema = Schema<Record<string, AnyTable>, RelationsInput<string>>;

/** The Kysely database interface of a schema: `Kysely<DatabaseTypes<typeof schema>>`. */
export type DatabaseTypes<S extends AnySchema> = {
  [N in keyof S['tables']]: KyselyTable<S['tables'][N]['columns']>;
};

/**
 * Declares the whole schema: the single definition from which Kysely types, zod schemas, DDL and
 * migrations are all derived. Relations are checked against the tables here, once.
 *
 * @example
 * ```ts
 * export const schema = defineSchema({
 *   tables: [users, posts],
 *   relations: { posts: { author: relation.belongsTo('users', { foreignKey: 'author_id' }) } },
 * });
 * ```
 */
export function defineSchema<
  const T extends readonly AnyTable[],
  const R extends RelationsInput<T[number]['name']> = Record<never, never>,
>(definition: { tables: T; relations?: R }): Schema<TablesByName<T>, R> {
  const tables: Record<string, AnyTable> = {};
  for (const t of definition.tables) {
    if (tables[t.name] !== undefined) throw new DatabaseArgumentError(`table "${t.name}" declared twice`);
    tables[t.name] = t;
  }
  const hasColumn = (table: string, col: string | undefined): boolean =>
    col === undefined || tables[table]?.columns[col] !== undefined;
  for (const t of definition.tables) {
    for (const fk of t.foreignKeys) {
      if (!fk.refColumns.every((c) => hasColumn(fk.refTable, c)) || tables[fk.refTable] === undefined) {
        throw new DatabaseArgumentError(
          `foreign key "${fk.name}" references unknown ${fk.refTable}(${fk.refColumns.join(', ')})`,
        );
      }
    }
  }
  const relations = (definition.relations ?? {}) as Record<string, Record<string, Relation> | undefined>;
  for (const [source, rels] of Object.entries(relations)) {
    for (const [name, r] of Object.entries(rels ?? {})) {
      const ok =
        tables[source] !== undefined &&
        tables[r.target] !== undefined &&
        (r.kind === 'belongsTo'
          ? hasColumn(source, r.foreignKey) && hasColumn(r.target, r.targetKey)
          : r.kind === 'hasMany' || r.kind === 'hasOne'
            ? hasColumn(r.target, r.foreignKey) && hasColumn(source, r.sourceKey)
            : tables[r.through] !== undefined &&
              hasColumn(r.through, r.sourceForeignKey) &&
              hasColumn(r.through, r.targetForeignKey) &&
              hasColumn(source, r.sourceKey) &&
              hasColumn(r.target, r.targetKey));
      if (!ok)
        throw new DatabaseArgumentError(`relation "${source}.${name}" refers to an unknown table or column`);
    }
  }
  const constraintColumns = new Map<string, readonly string[]>();
  for (const t of definition.tables) {
    for (const c of [t.primaryKey, ...t.uniques, ...t.foreignKeys, ...t.checks, ...t.indexes]) {
      constraintColumns.set(c.name, c.columns);
    }
  }
  return {
    tables: tables as TablesByName<T>,
    relations: (definition.relations ?? {}) as R,
    constraintColumns,
  };
}
