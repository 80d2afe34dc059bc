/**
 * Parses a `timestamptz` as PostgreSQL prints it with the default ISO DateStyle:
 * `YYYY-MM-DD HH:MM:SS[.ffffff]±HH[:MM[:SS]]`. Every returned timestamp goes through here, so it reads
 * the fixed positions directly instead of running regular expressions (node-postgres' parser costs
 * about 1 µs per value, more than a whole row's other columns). Anything else (BC dates, years
 * after 9999, `infinity`) is handed to `fallback`, the general parser.
 */
export function parseTimestamptz(text: string, fallback: (text: string) => unknown): unknown {
  const n = text.length;
  if (
    n < 22 ||
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 32 || // space
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58
  )
    return fallback(text);
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || minute < 0 || second < 0)
    return fallback(text);
  let i = 19;
  let ms = 0;
  if (text.charCodeAt(i) === 46) {
    // .ffffff: the first three digits are the milliseconds (the rest truncated, as Date keeps them).
    i++;
    const start = i;
    for (; i < n; i++) {
      const d = text.charCodeAt(i) - 48;
      if (!(d >= 0 && d <= 9)) break;
      const place = i - start;
      if (place < 3) ms += d * (place === 0 ? 100 : place === 1 ? 10 : 1);
    }
    if (i === start) return fallback(text);
  }
  const sign = text.charCodeAt(i);
  if (sign !== 43 && sign !== 45) return fallback(text); // + or -
  const zoneHours = digits(text, i + 1, 2);
  if (zoneHours < 0) return fallback(text);
  let offset = zoneHours * 3600;
  i += 3;
  if (i < n) {
    const zoneMinutes = text.charCodeAt(i) === 58 ? digits(text, i + 1, 2) : -1;
    if (zoneMinutes < 0) return fallback(text);
    offset += zoneMinutes * 60;
    i += 3;
    if (i < n) {
      const zoneSeconds = text.charCodeAt(i) === 58 ? digits(text, i + 1, 2) : -1;
      if (zoneSeconds < 0 || i + 3 !== n) return fallback(text);
      offset += zoneSeconds;
    }
  }
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  return new Date((sign === 45 ? seconds + offset : seconds - offset) * 1000 + ms);
}

/**
 * Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
 * `days_from_civil`): plain arithmetic, where `Date.UTC` costs a call into the runtime per value.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** The number written by `count` ASCII digits at `at`, or -1 when one is not a digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    value = value * 10 + d;
  }
  return value;
}
