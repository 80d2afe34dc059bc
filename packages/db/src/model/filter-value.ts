import { InvalidQueryError } from '../errors/validation-error.js';
import type { AnyColumn } from '../schema/column.js';

/**
 * Checks one value given for a column in a filter or key and converts it for the driver. A value of
 * the wrong type is a typed 400 here rather than a raw driver error (`find('abc')` on an integer
 * key), and never reaches the database.
 */
export type FilterValueCodec = (value: unknown, column: string) => unknown;

const INT4_MIN = -2147483648;
const INT4_MAX = 2147483647;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DIGITS = /^-?\d+$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

function reject(column: string, expected: string): never {
  throw new InvalidQueryError(`filter on "${column}" needs ${expected}`);
}

/** PostgreSQL text cannot hold NUL; refusing it here keeps the error typed and the message clear. */
export function checkText(value: unknown, column: string): string {
  if (typeof value !== 'string') reject(column, 'a string');
  if (value.includes('\0')) throw new InvalidQueryError(`filter on "${column}" contains a NUL byte`);
  return value;
}

const integer: FilterValueCodec = (v, c) =>
  typeof v === 'number' && Number.isInteger(v) && v >= INT4_MIN && v <= INT4_MAX
    ? v
    : reject(c, 'a 32-bit integer');
const bigint: FilterValueCodec = (v, c) =>
  typeof v === 'bigint' ||
  (typeof v === 'number' && Number.isSafeInteger(v)) ||
  (typeof v === 'string' && DIGITS.test(v))
    ? v
    : reject(c, 'an integer, a bigint or a string of digits');
const float: FilterValueCodec = (v, c) => (typeof v === 'number' ? v : reject(c, 'a number'));
const numeric: FilterValueCodec = (v, c) =>
  (typeof v === 'string' && DECIMAL.test(v)) || (typeof v === 'number' && Number.isFinite(v))
    ? v
    : reject(c, 'a decimal string or a finite number');
const boolean: FilterValueCodec = (v, c) => (typeof v === 'boolean' ? v : reject(c, 'a boolean'));
const uuid: FilterValueCodec = (v, c) => (typeof v === 'string' && UUID.test(v) ? v : reject(c, 'a UUID'));
const timestamp: FilterValueCodec = (v, c) => {
  const date = v instanceof Date ? v : typeof v === 'string' ? new Date(v) : undefined;
  return date !== undefined && !Number.isNaN(date.getTime()) ? date : reject(c, 'a valid Date or ISO string');
};
// jsonb goes as JSON text: node-postgres would otherwise send a JS array as a PostgreSQL array literal.
const jsonb: FilterValueCodec = (v, c) => {
  if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') reject(c, 'a JSON value');
  return JSON.stringify(v);
};

const bySqlType: Record<string, FilterValueCodec> = {
  integer,
  bigint,
  real: float,
  'double precision': float,
  boolean,
  uuid,
  'timestamp(3) with time zone': timestamp,
  jsonb,
};

/** The codec for a column, chosen once from its SQL type. */
export function codecFor(column: AnyColumn): FilterValueCodec {
  const type = column.definition.sqlType;
  return bySqlType[type] ?? (type.startsWith('numeric(') ? numeric : checkText);
}
