import type { CompiledQuery, QueryResult } from 'kysely';
import type { TemplateCache } from '../query-compiler/template-cache.js';
import type { AnySchema } from '../schema/schema.js';
import type { FilterTables } from './filter-tables.js';
import type { UntypedKysely } from './untyped-kysely.js';

/** Something model queries run on: the database, a transaction, or a read replica. */
export interface ModelRunner {
  /** Builds queries (and runs anything else); untyped, since models address tables by name. */
  readonly kysely: UntypedKysely;
  /** Runs a compiled model query: straight on the dialect's pool where it can, else through Kysely. */
  readonly execute: <R>(query: CompiledQuery<R>) => Promise<QueryResult<R>>;
}

/** What every model of one database (or transaction) shares. */
export interface ModelContext {
  readonly schema: AnySchema;
  /** Writes, and reads inside a transaction (untyped: models address tables by name). */
  readonly runner: ModelRunner;
  /** Where plain reads go: a read replica when configured outside a transaction, else `runner`. */
  readonly reader: () => ModelRunner;
  /** Compiled templates, shared by the database and all its transactions. */
  readonly templates: TemplateCache;
  /** Most bind parameters per statement on this dialect (`createMany` splits below it). */
  readonly maxParameters: number;
  /** Column checks and relations per table, computed once per schema. */
  readonly filters: FilterTables;
  /**
   * Runs `fn` atomically: in the current transaction when there is one, else in a new one. Gives
   * the models of that transaction.
   */
  readonly atomic: <T>(fn: (ctx: ModelContext) => Promise<T>) => Promise<T>;
}

/** A row as the model handles it internally. */
export type RawRow = Record<string, unknown>;
