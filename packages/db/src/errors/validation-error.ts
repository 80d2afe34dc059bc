import type { z } from 'zod';
import { ZephyrDbError } from './zephyr-db-error.js';

/** Input to a model method failed the table's zod schema; `issues` are zod's, ready to return. */
export class ValidationError extends ZephyrDbError {
  /** zod's issues, each with a path into the input. */
  readonly issues: readonly z.core.$ZodIssue[];
  constructor(table: string, operation: string, issues: readonly z.core.$ZodIssue[]) {
    const first = issues[0];
    const summary = first === undefined ? '' : `: ${first.path.join('.') || '(root)'}: ${first.message}`;
    super('ZEPHYR_ERR_DB_VALIDATION', `invalid ${operation} input for table "${table}"${summary}`, {
      status: 400,
    });
    this.issues = issues;
  }
}

/**
 * A query's input is unusable: an unknown column or relation, an `undefined` operand, an empty
 * `AND`/`OR`, an unknown operator, a tampered cursor, a key of the wrong type. Never silently
 * widened into "every row".
 */
export class InvalidQueryError extends ZephyrDbError {
  constructor(message: string, cause?: unknown) {
    super('ZEPHYR_ERR_DB_INVALID_QUERY', message, { status: 400, cause });
  }
}

/** A statement with more bind parameters than the dialect's protocol carries. */
export function tooManyParameters(count: number, max: number): InvalidQueryError {
  return new InvalidQueryError(`a statement may carry at most ${max} parameters, this one has ${count}`);
}

/** No row has the key given to `findOrThrow` (or another method that promises a row). */
export class RowNotFoundError extends ZephyrDbError {
  /** The table searched. */
  readonly table: string;
  constructor(table: string) {
    super('ZEPHYR_ERR_DB_NOT_FOUND', `no row found in "${table}"`, { status: 404 });
    this.table = table;
  }
}

/**
 * A transaction was used in a way that cannot work: a statement on `db` while the callback holds
 * the only PGlite session (it would wait forever), or two savepoints opened in parallel on one
 * transaction (one would silently undo the other). A bug in the calling code: no HTTP status.
 */
export class TransactionMisuseError extends ZephyrDbError {
  constructor(message: string) {
    super('ZEPHYR_ERR_DB_TRANSACTION_MISUSE', message);
  }
}
