import type { TemplateCache } from '../query-compiler/template-cache.js';
import type { AnySchema } from '../schema/schema.js';
import type { UntypedKysely } from './untyped-kysely.js';

/** What every model of one database (or transaction) shares. */
export interface ModelContext {
  readonly schema: AnySchema;
  /** The database or the transaction queries run on (untyped: models address tables by name). */
  readonly runner: { readonly kysely: UntypedKysely };
  /** Compiled templates, shared by the database and all its transactions. */
  readonly templates: TemplateCache;
}

/** A row as the model handles it internally. */
export type RawRow = Record<string, unknown>;
