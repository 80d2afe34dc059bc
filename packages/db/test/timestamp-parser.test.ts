import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { parseTimestamptz } from '../src/dialect/postgres/timestamp-parser.js';
import { postgresTypes } from '../src/dialect/postgres/type-parsers.js';
import { postgresUrl } from './support/test-databases.js';

const general = pg.types.getTypeParser(1184, 'text') as (text: string) => unknown;
const time = (value: unknown) => (value instanceof Date ? value.getTime() : value);

describe('timestamptz parser', () => {
  it('reads what PostgreSQL prints as the general parser does, without calling it', () => {
    const cases = [
      '2026-12-01 22:14:16+00',
      '2026-12-01 22:14:16.1+00',
      '2026-12-01 22:14:16.12+00',
      '2026-12-01 22:14:16.123+00',
      '2026-12-01 22:14:16.123456+00',
      '2026-12-01 22:14:16.999999+00',
      '2026-02-28 23:59:59.5-05',
      '2024-02-29 00:00:00+05:30',
      '2024-02-29 00:00:00.007-03:30',
      '1850-01-01 00:00:00+00:19:32',
      '1850-01-01 00:00:00.25-00:01:15',
      '0100-01-01 00:00:00+00',
      '0099-06-01 12:00:00+00',
      '0001-01-01 00:00:00+00',
      '1900-02-28 23:59:59+00',
      '2000-03-01 00:00:00-12',
      '2100-03-01 00:00:00+00',
      '9999-12-31 23:59:59.999+14',
      '1970-01-01 00:00:00+00',
      '1969-12-31 23:59:59.001+00',
    ];
    for (const text of cases) {
      const fallback = (t: string) => {
        throw new Error(`fell back on ${t}`);
      };
      expect(time(parseTimestamptz(text, fallback)), text).toBe(time(general(text)));
    }
  });

  it('hands anything else to the general parser', () => {
    const others = [
      'infinity',
      '-infinity',
      '0001-01-01 00:00:00+00 BC',
      '2026-12-01 22:14:16+00 BC',
      '12026-12-01 22:14:16+00',
      '2026-12-01T22:14:16+00',
      '2026-12-01 22:14:16.+00',
      '2026-12-01 22:14:16Z',
      '2026-12-01 22:14:16+0',
      '2026-12-01 22:14:16+00:3',
      '2026-12-01 22:14:16+00:30:1',
      '2026-12-01 22:1x:16+00',
      '2026-13-01 22:14:16+00',
      '2026-12-00 22:14:16+00',
      '',
    ];
    for (const text of others) {
      const seen: string[] = [];
      const result = parseTimestamptz(text, (t) => {
        seen.push(t);
        return general(t);
      });
      expect(seen, text).toEqual([text]);
      expect(time(result), text).toEqual(time(general(text)));
    }
  });

  it('is the parser PostgreSQL sessions use, and agrees with the server in every time zone', async () => {
    const client = new pg.Client({ connectionString: postgresUrl(), types: postgresTypes });
    await client.connect();
    try {
      for (const zone of [
        'UTC',
        'Asia/Kolkata',
        'America/St_Johns',
        'Europe/Amsterdam',
        'Pacific/Kiritimati',
      ]) {
        await client.query(`set time zone '${zone}'`);
        const { rows } = await client.query<{ at: unknown; ms: string; text: string }>(
          `select t as at, case when isfinite(t) then (extract(epoch from t) * 1000)::bigint::text end as ms, t::text as text
             from unnest($1::timestamptz[]) t`,
          [
            [
              '2026-12-01T22:14:16.123Z',
              '1850-01-01T00:00:00.5Z',
              '2000-02-29T12:00:00Z',
              '1969-07-20T20:17:40.001Z',
              'infinity',
            ],
          ],
        );
        for (const row of rows) {
          if (row.text === 'infinity') expect(row.at).toBe(Number.POSITIVE_INFINITY);
          else expect(time(row.at), `${zone} ${row.text}`).toBe(Number(row.ms));
        }
      }
    } finally {
      await client.end();
    }
  });
});
