import { type Column, column } from './column.js';

/**
 * `created_at` and `updated_at` (timestamptz, default `now()`); `updated_at` is refreshed by every
 * `Model.update`. Spread into a table's columns.
 */
export function timestamps(): {
  created_at: Column<Date, false, true>;
  updated_at: Column<Date, false, true>;
} {
  return {
    created_at: column.timestamp().defaultSql('now()'),
    updated_at: column.timestamp().defaultSql('now()').touchOnUpdate(),
  };
}
