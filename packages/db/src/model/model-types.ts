import type { BelongsToRelation, HasOneRelation, Relation } from '../schema/relation.js';
import type { InsertRow, KeyColumnsOf, SelectRow, Simplify, UpdateRow } from '../schema/row-types.js';
import type { AnySchema } from '../schema/schema.js';
import type { ManyRelationWhere, OneRelationWhere, Where } from './where-filter.js';

/** Table names of a schema. */
export type TableName<S extends AnySchema> = keyof S['tables'] & string;

/** A selected row of table `N`. */
export type RowOf<S extends AnySchema, N extends TableName<S>> = SelectRow<S['tables'][N]['columns']>;
/** An insert input of table `N`. */
export type InsertOf<S extends AnySchema, N extends TableName<S>> = InsertRow<S['tables'][N]['columns']>;
/** An update patch of table `N`. */
export type UpdateOf<S extends AnySchema, N extends TableName<S>> = UpdateRow<S['tables'][N]['columns']>;
/** A column name of table `N`. */
export type ColumnOf<S extends AnySchema, N extends TableName<S>> = keyof RowOf<S, N> & string;

/** Relations declared on table `N`. */
export type RelationsOf<S extends AnySchema, N extends string> = N extends keyof S['relations']
  ? NonNullable<S['relations'][N]>
  : Record<never, never>;

type TargetOf<R> = R extends Relation<infer T> ? T : never;

/** Relation filters of table `N`: `some`/`none`/`every` on to-many, `is`/`isNot` on to-one relations. */
export type RelationWheres<S extends AnySchema, N extends string> = {
  readonly [R in keyof RelationsOf<S, N>]: RelationsOf<S, N>[R] extends
    | BelongsToRelation<infer T>
    | HasOneRelation<infer T>
    ? OneRelationWhere<WhereOf<S, T & TableName<S>>>
    : ManyRelationWhere<WhereOf<S, TargetOf<RelationsOf<S, N>[R]> & TableName<S>>>;
};

/** A filter on table `N`: its columns, `AND`/`OR`/`NOT`, and its relations. */
export type WhereOf<S extends AnySchema, N extends TableName<S>> = Where<RowOf<S, N>, RelationWheres<S, N>>;

/** Which relations to load eagerly, nested with `{ with: ... }`. */
export type WithSpec<S extends AnySchema, N extends string> = {
  readonly [R in keyof RelationsOf<S, N>]?:
    | boolean
    | { readonly with?: WithSpec<S, TargetOf<RelationsOf<S, N>[R]> & TableName<S>> };
};

/**
 * `W` with every key that is not a relation of `N` turned into `never`: an unknown relation next
 * to a valid one is a compile error (excess-property checks do not reach inferred type parameters).
 */
export type ExactWith<S extends AnySchema, N extends string, W> = W & {
  readonly [K in Exclude<keyof W, keyof RelationsOf<S, N>>]: never;
};

type NestedSpec<Spec> = Spec extends { readonly with?: infer W }
  ? W extends object
    ? W
    : Record<never, never>
  : Record<never, never>;

type Loaded<S extends AnySchema, R, Spec> =
  R extends BelongsToRelation<infer T>
    ? RowWith<S, T & TableName<S>, NestedSpec<Spec>> | null
    : R extends HasOneRelation<infer T>
      ? RowWith<S, T & TableName<S>, NestedSpec<Spec>> | null
      : R extends Relation<infer T>
        ? RowWith<S, T & TableName<S>, NestedSpec<Spec>>[]
        : never;

/** A row of `N` with the relations named in `W` loaded. */
export type RowWith<S extends AnySchema, N extends TableName<S>, W> = Simplify<
  RowOf<S, N> & {
    [R in keyof W & keyof RelationsOf<S, N> as W[R] extends undefined | false ? never : R]: Loaded<
      S,
      RelationsOf<S, N>[R],
      W[R]
    >;
  }
>;

/** A row of `N` with only the columns `C` (all when `C` is every column), plus loaded relations. */
export type SelectedRow<S extends AnySchema, N extends TableName<S>, C extends ColumnOf<S, N>, W> = Simplify<
  Pick<RowOf<S, N>, C> & Omit<RowWith<S, N, W>, keyof RowOf<S, N>>
>;

type KeyColumns<S extends AnySchema, N extends TableName<S>> = KeyColumnsOf<S['tables'][N]['columns']>;

/**
 * A primary key: the value of the `.primaryKey()` column (typed: `find('abc')` on an integer key
 * does not compile), or an object of the key columns (composite keys declared on the table).
 */
export type KeyInput<S extends AnySchema, N extends TableName<S>> = [KeyColumns<S, N>] extends [never]
  ? Partial<RowOf<S, N>>
  : RowOf<S, N>[KeyColumns<S, N>] | Pick<RowOf<S, N>, KeyColumns<S, N>>;
