import type { ExpressionBuilder, Kysely, SelectQueryBuilder } from 'kysely';

// Model internals address tables by runtime name, so they work through an untyped Kysely; the
// public API regains full types from the schema.
// biome-ignore lint/suspicious/noExplicitAny: see above.
export type UntypedKysely = Kysely<any>;
// biome-ignore lint/suspicious/noExplicitAny: see above.
export type UntypedExpressionBuilder = ExpressionBuilder<any, any>;
// biome-ignore lint/suspicious/noExplicitAny: see above.
export type UntypedSelect = SelectQueryBuilder<any, any, any>;
