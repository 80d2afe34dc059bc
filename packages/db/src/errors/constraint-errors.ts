import { ZephyrDbError } from './zephyr-db-error.js';

/** What every constraint violation carries: which constraint, on which table and columns. */
export interface ConstraintViolationDetails {
  /** The constraint's name as the database knows it (e.g. `users_email_key`). */
  readonly constraint: string | undefined;
  /** The table the violation happened on. */
  readonly table: string | undefined;
  /** The columns involved, when the database or the declared schema names them. */
  readonly columns: readonly string[];
  /** PostgreSQL's SQLSTATE (`23505`, ...). */
  readonly sqlState: string;
}

/**
 * Base of the typed constraint errors. The message names the constraint and columns but never the
 * offending value, so it can be logged or returned without leaking data.
 */
export abstract class ConstraintViolationError extends ZephyrDbError implements ConstraintViolationDetails {
  readonly constraint: string | undefined;
  readonly table: string | undefined;
  readonly columns: readonly string[];
  readonly sqlState: string;

  constructor(
    code: string,
    what: string,
    status: number,
    details: ConstraintViolationDetails,
    cause: unknown,
  ) {
    const where = [
      details.table === undefined ? '' : ` on table "${details.table}"`,
      details.columns.length === 0
        ? ''
        : ` (column${details.columns.length > 1 ? 's' : ''} ${details.columns.map((c) => `"${c}"`).join(', ')})`,
      details.constraint === undefined ? '' : ` [constraint "${details.constraint}"]`,
    ].join('');
    super(code, `${what}${where}`, { status, cause });
    this.constraint = details.constraint;
    this.table = details.table;
    this.columns = details.columns;
    this.sqlState = details.sqlState;
  }
}

/** A unique or primary-key constraint was violated (SQLSTATE 23505). */
export class UniqueViolationError extends ConstraintViolationError {
  constructor(details: ConstraintViolationDetails, cause: unknown) {
    super('ZEPHYR_ERR_DB_UNIQUE_VIOLATION', 'unique constraint violated', 409, details, cause);
  }
}

/** A NOT NULL column received null (SQLSTATE 23502). */
export class NotNullViolationError extends ConstraintViolationError {
  constructor(details: ConstraintViolationDetails, cause: unknown) {
    super('ZEPHYR_ERR_DB_NOT_NULL_VIOLATION', 'not-null constraint violated', 422, details, cause);
  }
}

/** A foreign key points at a missing row, or a referenced row is still referenced (SQLSTATE 23503). */
export class ForeignKeyViolationError extends ConstraintViolationError {
  constructor(details: ConstraintViolationDetails, cause: unknown) {
    super('ZEPHYR_ERR_DB_FOREIGN_KEY_VIOLATION', 'foreign-key constraint violated', 409, details, cause);
  }
}

/** A CHECK constraint rejected the row (SQLSTATE 23514). */
export class CheckViolationError extends ConstraintViolationError {
  constructor(details: ConstraintViolationDetails, cause: unknown) {
    super('ZEPHYR_ERR_DB_CHECK_VIOLATION', 'check constraint violated', 422, details, cause);
  }
}
