import { ZephyrDbError } from './zephyr-db-error.js';

/** An already-applied migration file was edited: its checksum no longer matches the history table. */
export class MigrationChecksumError extends ZephyrDbError {
  /** The migration whose file changed. */
  readonly migration: string;
  constructor(migration: string) {
    super(
      'ZEPHYR_ERR_DB_MIGRATION_CHECKSUM',
      `migration "${migration}" was applied but its file has changed since; write a new migration instead of editing an applied one`,
    );
    this.migration = migration;
  }
}

/** The history table names a migration whose file is gone, so status and rollback cannot be trusted. */
export class MigrationMissingError extends ZephyrDbError {
  /** The migration recorded as applied but absent from the directory. */
  readonly migration: string;
  constructor(migration: string) {
    super(
      'ZEPHYR_ERR_DB_MIGRATION_MISSING',
      `migration "${migration}" is recorded as applied but its file is missing`,
    );
    this.migration = migration;
  }
}

/** A change would drop data (drop table/column, narrowing type) and `allowDestructive` was not set. */
export class DestructiveChangeError extends ZephyrDbError {
  /** Human-readable list of the destructive changes. */
  readonly changes: readonly string[];
  constructor(changes: readonly string[]) {
    super(
      'ZEPHYR_ERR_DB_DESTRUCTIVE_CHANGE',
      `refusing destructive change without allowDestructive: ${changes.join('; ')}`,
    );
    this.changes = changes;
  }
}

/** A migration file could not be parsed (missing `-- migrate:up` / `-- migrate:down` markers). */
export class MigrationFormatError extends ZephyrDbError {
  constructor(file: string, reason: string) {
    super('ZEPHYR_ERR_DB_MIGRATION_FORMAT', `migration file "${file}": ${reason}`);
  }
}

/** `generate()` was called while migrations are pending: apply (or delete) them first. */
export class MigrationPendingError extends ZephyrDbError {
  /** The pending migrations. */
  readonly pending: readonly string[];
  constructor(pending: readonly string[]) {
    super('ZEPHYR_ERR_DB_MIGRATION_PENDING', `apply pending migrations first: ${pending.join(', ')}`);
    this.pending = pending;
  }
}
