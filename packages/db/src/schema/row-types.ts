import type { ColumnType } from 'kysely';
import type { AnyColumn, Column } from './column.js';

/** Flattens an intersection into one object type so editors show plain rows. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The columns of a table, by name. */
export type ColumnMap = Record<string, AnyColumn>;

/** The value a column holds in a row read from the database (`null` included when nullable). */
export type ColumnValue<C> =
  C extends Column<infer T, infer N, boolean, boolean> ? (N extends true ? T | null : T) : never;

type OptionalOnInsert<Cols extends ColumnMap> = {
  [K in keyof Cols]: Cols[K] extends Column<infer _T, infer N, infer D, boolean>
    ? N extends true
      ? K
      : D extends true
        ? K
        : never
    : never;
}[keyof Cols];

/** A row as selected: every column present. */
export type SelectRow<Cols extends ColumnMap> = Simplify<{
  -readonly [K in keyof Cols]: ColumnValue<Cols[K]>;
}>;

/** A row as inserted: columns with a default, identity or NULL allowed may be omitted. */
export type InsertRow<Cols extends ColumnMap> = Simplify<
  { -readonly [K in Exclude<keyof Cols, OptionalOnInsert<Cols>>]: ColumnValue<Cols[K]> } & {
    -readonly [K in OptionalOnInsert<Cols>]?: ColumnValue<Cols[K]>;
  }
>;

/** A patch for update: every column optional. */
export type UpdateRow<Cols extends ColumnMap> = Simplify<{
  -readonly [K in keyof Cols]?: ColumnValue<Cols[K]>;
}>;

/** The Kysely table interface for a column map (`ColumnType` marks columns optional on insert). */
export type KyselyTable<Cols extends ColumnMap> = {
  -readonly [K in keyof Cols]: Cols[K] extends Column<infer _T, infer _N, infer D, boolean>
    ? D extends true
      ? ColumnType<ColumnValue<Cols[K]>, ColumnValue<Cols[K]> | undefined, ColumnValue<Cols[K]>>
      : Cols[K] extends Column<infer _T2, true, boolean, boolean>
        ? ColumnType<ColumnValue<Cols[K]>, ColumnValue<Cols[K]> | undefined, ColumnValue<Cols[K]>>
        : ColumnValue<Cols[K]>
    : never;
};

/** The columns declared with `.primaryKey()` (empty for a composite key declared on the table). */
export type KeyColumnsOf<Cols extends ColumnMap> = {
  [K in keyof Cols]: Cols[K] extends Column<unknown, boolean, boolean, true> ? K : never;
}[keyof Cols] &
  string;
