import pg from 'pg';
import { parseTimestamptz } from './timestamp-parser.js';

/** OIDs whose parsing differs from node-postgres' defaults; PGlite installs the same mapping. */
export const OID = { int8: 20, date: 1082, timestamptz: 1184, numeric: 1700 } as const;

const parseInt8 = (value: string): bigint => BigInt(value);
const keepText = (value: string): string => value;
const parseAnyTimestamptz = pg.types.getTypeParser(OID.timestamptz, 'text') as (value: string) => unknown;
const parseTimestamptzFast = (value: string): unknown => parseTimestamptz(value, parseAnyTimestamptz);

/**
 * Per-client type parsers (never the global `pg.types`, so other users of `pg` in the process are
 * untouched): int8 → `bigint` without precision loss, `date` → `YYYY-MM-DD` string with no time zone
 * shift, numeric → string, timestamptz → `Date` by a parser without regular expressions.
 */
export const postgresTypes = {
  // Asked once per column of every result: the parsers are made once, not per call.
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === OID.int8) return parseInt8;
    if (oid === OID.date || oid === OID.numeric) return keepText;
    if (oid === OID.timestamptz && format !== 'binary') return parseTimestamptzFast;
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
  },
} as pg.CustomTypesConfig;
