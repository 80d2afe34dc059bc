// The public API of @zephyr/db; nothing else is imported from outside the package.

/** Kysely's `sql` template tag, always at hand for what the models do not cover. */
export { type Kysely, sql } from 'kysely';
export { type DbConfig, dbConfigSchema, poolOptionsFromConfig } from './config/db-config-schema.js';
export {
  createDatabase,
  Database,
  type DatabaseOptions,
  type Models,
  type QueryEvent,
  type TransactionOptions,
} from './database/database.js';
export { PGliteDialect, type PGliteDialectOptions, pglite } from './dialect/pglite/pglite-dialect.js';
export { PostgresDialect, postgres } from './dialect/postgres/postgres-dialect.js';
export type { PostgresDialectOptions } from './dialect/postgres/postgres-driver.js';
export type { ZephyrDialect } from './dialect/zephyr-dialect.js';
export {
  CheckViolationError,
  type ConstraintViolationDetails,
  ConstraintViolationError,
  ForeignKeyViolationError,
  NotNullViolationError,
  UniqueViolationError,
} from './errors/constraint-errors.js';
export { type ConstraintColumns, mapDatabaseError } from './errors/map-database-error.js';
export {
  DestructiveChangeError,
  MigrationChecksumError,
  MigrationFormatError,
  MigrationMissingError,
  MigrationPendingError,
} from './errors/migration-errors.js';
export {
  ConnectionError,
  PoolClosedError,
  PoolOverloadedError,
  PoolTimeoutError,
  QueryTimeoutError,
} from './errors/pool-errors.js';
export {
  InvalidQueryError,
  RowNotFoundError,
  TransactionMisuseError,
  ValidationError,
} from './errors/validation-error.js';
export {
  DatabaseArgumentError,
  DatabaseUnsupportedOptionError,
  ZephyrDbError,
  type ZephyrDbErrorOptions,
} from './errors/zephyr-db-error.js';
export { diffSchemas, type SchemaChange } from './migration/diff-schemas.js';
export { introspectDatabase } from './migration/introspect-database.js';
export { type MigrationFile, parseMigrationFile, readMigrations } from './migration/migration-file.js';
export {
  createMigrator,
  type MigrationStatus,
  Migrator,
  type MigratorOptions,
} from './migration/migrator.js';
export { type SchemaSnapshot, snapshotFromSchema, type TableSnapshot } from './migration/schema-snapshot.js';
export { equalityFilter } from './model/equality-filter.js';
export { Model } from './model/model.js';
export type {
  FindManyOptions,
  NestedCreate,
  Page,
  PaginateOptions,
  UpsertOptions,
  WriteFilter,
} from './model/model-options.js';
export type {
  ColumnOf,
  ExactWith,
  InsertOf,
  KeyInput,
  RelationsOf,
  RelationWheres,
  RowOf,
  RowWith,
  SelectedRow,
  TableName,
  UpdateOf,
  WhereOf,
  WithSpec,
} from './model/model-types.js';
export type { OrderBy, SortDirection } from './model/order-by.js';
export type {
  AllRows,
  CheckedWhere,
  ManyRelationWhere,
  OneRelationWhere,
  Where,
  WhereOperators,
} from './model/where-filter.js';
export {
  type ConnectionFactory,
  ConnectionPool,
  type PoolMetrics,
  type PoolOptions,
} from './pool/connection-pool.js';
export type { WaitTimePercentiles } from './pool/wait-time-histogram.js';
export { type ParameterFactory, PreparedQuery, type QueryRunner } from './query-compiler/prepared-query.js';
export {
  type AnyColumn,
  Column,
  type ColumnDefinition,
  column,
  type ReferentialAction,
} from './schema/column.js';
export {
  type BelongsToRelation,
  type HasManyRelation,
  type HasOneRelation,
  type ManyToManyRelation,
  type Relation,
  relation,
} from './schema/relation.js';
export type { ColumnValue, InsertRow, KyselyTable, SelectRow, UpdateRow } from './schema/row-types.js';
export {
  type AnySchema,
  type DatabaseTypes,
  defineSchema,
  type RelationsInput,
  type Schema,
} from './schema/schema.js';
export {
  type AnyTable,
  type CheckConstraint,
  type ForeignKeyConstraint,
  type IndexDefinition,
  type KeyConstraint,
  type Table,
  type TableOptions,
  type TableSchemas,
  table,
} from './schema/table.js';
export { timestamps } from './schema/timestamps.js';
export { defineSeed, loadSeed, runSeed, type Seed, type SeedResult } from './seed/seed.js';
export {
  type AcquireTraceContext,
  acquireChannel,
  type QueryTraceContext,
  queryChannel,
} from './tracing-channels.js';
