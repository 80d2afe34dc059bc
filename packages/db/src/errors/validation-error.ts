import type { z } from 'zod';
import { ZephyrDbError } from './zephyr-db-error.js';

/** Input to a model method failed the table's zod schema; `issues` are zod's, ready to return. */
export class ValidationError extends ZephyrDbError {
  /** zod's issues, each with a path into the input. */
  readonly issues: readonly z.core.$ZodIssue[];
  constructor(table: string, operation: string, issues: readonly z.core.$ZodIssue[]) {
    const first = issues[0];
    const summary = first === undefined ? '' : `: ${first.path.join('.') || '(root)'}: ${first.message}`;
    super('ZEPHYR_ERR_DB_VALIDATION', `invalid ${operation} input for table "${table}"${summary}`, 400);
    this.issues = issues;
  }
}

/** A caller asked for something the declared schema does not have, or passed an unusable argument. */
export class InvalidQueryError extends ZephyrDbError {
  constructor(message: string) {
    super('ZEPHYR_ERR_DB_INVALID_QUERY', message, 400);
  }
}
