import { z } from 'zod';

// Binary multiples for both spellings (64MB = 64 MiB), as in nginx, Redis's "mb" and most memory
// settings people copy between configs: a pool of "64MB" that came out 4.6% smaller would surprise.
const UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

const SIZE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/**
 * Parses a byte size: a non-negative integer, or a number with a unit (`B`, `KB`/`KiB`/`K`,
 * `MB`/`MiB`/`M`, `GB`/`GiB`/`G`, `TB`/`TiB`/`T`, any case). Units are binary: `1KB` is 1024.
 *
 * @throws RangeError naming the input when it is not a size or not a whole number of bytes.
 * @example parseSize('64MB') // 67108864
 */
export function parseSize(input: string | number): number {
  if (typeof input === 'number') {
    if (Number.isSafeInteger(input) && input >= 0) return input;
    throw new RangeError(`${input} is not a size: expected a whole, non-negative number of bytes`);
  }
  const match = SIZE.exec(input.trim());
  const unit = UNITS[(match?.[2] || 'b').toLowerCase()];
  if (!match || unit === undefined) {
    throw new RangeError(`"${input}" is not a size: expected e.g. 512, "16KB", "64MB" or "1GB"`);
  }
  const bytes = Number(match[1]) * unit;
  if (!Number.isSafeInteger(bytes)) {
    throw new RangeError(`"${input}" is not a whole number of bytes (or is too large)`);
  }
  return bytes;
}

const bytesSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  try {
    return parseSize(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as RangeError).message });
    return z.NEVER;
  }
});

/** The type of {@link sizeSchema}: a size in, bytes out, with a `default` written like a value. */
export type SizeSchema = z.ZodPipe<
  z.ZodUnion<readonly [z.ZodNumber, z.ZodString]>,
  z.ZodTransform<number, string | number>
> & {
  /**
   * A default written as in the file (`'64MB'` or bytes), parsed like any value: the output is
   * bytes either way. (A plain zod `.default()` hands back its value unparsed, so `'64MB'` would
   * come out as the string `'64MB'`.)
   */
  default(value: string | number): z.ZodPrefault<SizeSchema>;
};

/**
 * A zod schema for a size setting: accepts `65536` or `"64MB"`, outputs bytes as a number.
 * `sizeSchema.default('64MB')` gives 67108864 when the key is absent.
 *
 * @example
 * ```ts
 * z.strictObject({ size: sizeSchema.default('64MB') }).parse({}).size; // 67108864
 * ```
 */
export const sizeSchema = Object.assign(bytesSchema, {
  default: (value: string | number) => bytesSchema.prefault(value),
}) as SizeSchema;
