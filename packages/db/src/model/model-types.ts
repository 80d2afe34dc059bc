import type { BelongsToRelation, Relation } from '../schema/relation.js';
import type { InsertRow, SelectRow, Simplify, UpdateRow } from '../schema/row-types.js';
import type { AnySchema } from '../schema/schema.js';

/** Table names of a schema. */
export type TableName<S extends AnySchema> = keyof S['tables'] & string;

/** A selected row of table `N`. */
export type RowOf<S extends AnySchema, N extends TableName<S>> = SelectRow<S['tables'][N]['columns']>;
/** An insert input of table `N`. */
export type InsertOf<S extends AnySchema, N extends TableName<S>> = InsertRow<S['tables'][N]['columns']>;
/** An update patch of table `N`. */
export type UpdateOf<S extends AnySchema, N extends TableName<S>> = UpdateRow<S['tables'][N]['columns']>;

/** Relations declared on table `N`. */
export type RelationsOf<S extends AnySchema, N extends string> = N extends keyof S['relations']
  ? NonNullable<S['relations'][N]>
  : Record<never, never>;

type TargetOf<R> = R extends Relation<infer T> ? T : never;

/** Which relations to load eagerly, nested with `{ with: ... }`. */
export type WithSpec<S extends AnySchema, N extends string> = {
  readonly [R in keyof RelationsOf<S, N>]?:
    | true
    | { readonly with?: WithSpec<S, TargetOf<RelationsOf<S, N>[R]> & TableName<S>> };
};

type NestedSpec<Spec> = Spec extends { readonly with?: infer W }
  ? W extends object
    ? W
    : Record<never, never>
  : Record<never, never>;

type Loaded<S extends AnySchema, R, Spec> =
  R extends BelongsToRelation<infer T>
    ? RowWith<S, T & TableName<S>, NestedSpec<Spec>> | null
    : R extends Relation<infer T>
      ? RowWith<S, T & TableName<S>, NestedSpec<Spec>>[]
      : never;

/** A row of `N` with the relations named in `W` loaded. */
export type RowWith<S extends AnySchema, N extends TableName<S>, W> = Simplify<
  RowOf<S, N> & {
    [R in keyof W & keyof RelationsOf<S, N> as W[R] extends undefined ? never : R]: Loaded<
      S,
      RelationsOf<S, N>[R],
      W[R]
    >;
  }
>;

/** A primary-key value (single-column keys) or an object of the key columns (composite keys). */
export type KeyInput<S extends AnySchema, N extends TableName<S>> =
  | RowOf<S, N>[keyof RowOf<S, N>]
  | Partial<RowOf<S, N>>;
