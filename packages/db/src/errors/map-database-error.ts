import {
  CheckViolationError,
  type ConstraintViolationDetails,
  ForeignKeyViolationError,
  NotNullViolationError,
  UniqueViolationError,
} from './constraint-errors.js';
import { InvalidQueryError } from './validation-error.js';

/**
 * Data exceptions (SQLSTATE class 22) that bad input causes: text for a number, NUL in text, a value
 * out of range, a string too long, a malformed date. They become a typed 400 that never echoes the
 * value; the driver error stays as `cause`.
 */
const INPUT_ERRORS: ReadonlyMap<string, string> = new Map([
  ['22P02', 'a value has the wrong type for its column'],
  ['22021', 'a text value contains a NUL byte or invalid UTF-8'],
  ['22P05', 'a value contains a character PostgreSQL cannot store (NUL)'],
  ['22003', 'a numeric value is out of range'],
  ['22001', 'a text value is too long for its column'],
  ['22007', 'a date or time value is malformed'],
  ['22008', 'a date or time value is out of range'],
  ['22023', 'a parameter value is invalid'],
  ['2201B', 'a regular expression is invalid'],
  ['22025', 'a LIKE pattern has an invalid escape'],
]);

/** Constraint name → columns, built from the declared schema so check violations can name columns. */
export type ConstraintColumns = ReadonlyMap<string, readonly string[]>;

interface PgErrorFields {
  code?: unknown;
  constraint?: unknown;
  table?: unknown;
  column?: unknown;
  detail?: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** `Key (a, b)=(...)` in PostgreSQL's detail names the columns of unique and foreign-key violations. */
function columnsFromDetail(detail: string | undefined): string[] {
  const match = detail === undefined ? null : /^Key \(([^)]*)\)=/.exec(detail);
  if (match?.[1] === undefined) return [];
  return match[1].split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
}

/**
 * Turns a driver error (node-postgres or PGlite, both carry PostgreSQL's error fields) into the typed
 * constraint error it stands for; any other error is returned unchanged.
 */
export function mapDatabaseError(error: unknown, constraints?: ConstraintColumns): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const fields = error as PgErrorFields;
  const sqlState = str(fields.code);
  if (sqlState === undefined) return error;
  const input = INPUT_ERRORS.get(sqlState);
  if (input !== undefined) {
    return new InvalidQueryError(`${input} (SQLSTATE ${sqlState})`, error);
  }
  if (!sqlState.startsWith('23')) return error;
  const constraint = str(fields.constraint);
  const column = str(fields.column);
  let columns: readonly string[] = column === undefined ? columnsFromDetail(str(fields.detail)) : [column];
  if (columns.length === 0 && constraint !== undefined) columns = constraints?.get(constraint) ?? [];
  const details: ConstraintViolationDetails = { constraint, table: str(fields.table), columns, sqlState };
  switch (sqlState) {
    case '23505':
      return new UniqueViolationError(details, error);
    case '23502':
      return new NotNullViolationError(details, error);
    case '23503':
      return new ForeignKeyViolationError(details, error);
    case '23514':
      return new CheckViolationError(details, error);
    default:
      return error;
  }
}
