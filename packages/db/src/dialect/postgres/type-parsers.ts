import pg from 'pg';

/** OIDs whose parsing differs from node-postgres' defaults; PGlite installs the same mapping. */
export const OID = { int8: 20, date: 1082, numeric: 1700 } as const;

const parseInt8 = (value: string): bigint => BigInt(value);
const keepText = (value: string): string => value;

/**
 * Per-client type parsers (never the global `pg.types`, so other users of `pg` in the process are
 * untouched): int8 → `bigint` without precision loss, `date` → `YYYY-MM-DD` string with no time zone
 * shift, numeric → string.
 */
export const postgresTypes = {
  // Asked once per column of every result: the parsers are made once, not per call.
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === OID.int8) return parseInt8;
    if (oid === OID.date || oid === OID.numeric) return keepText;
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
  },
} as pg.CustomTypesConfig;
