import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { parseSize, sizeSchema } from '../src/index.js';

describe('parseSize', () => {
  it.each([
    [0, 0],
    [65536, 65536],
    ['512', 512],
    ['512B', 512],
    ['16KB', 16 * 1024],
    ['16kib', 16 * 1024],
    ['64MB', 64 * 1024 * 1024],
    ['64 MiB', 64 * 1024 * 1024],
    ['64m', 64 * 1024 * 1024],
    ['1.5MB', 1.5 * 1024 * 1024],
    ['2GB', 2 * 1024 ** 3],
    ['1T', 1024 ** 4],
  ])('reads %j as %d bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  it.each(['', 'MB', '-1MB', '64XB', '64 M B', '1.1B', 'ten', '9999999999TB'])(
    'refuses %j, naming it',
    (input) => {
      expect(() => parseSize(input)).toThrow(RangeError);
      expect(() => parseSize(input)).toThrow(input === '' ? /is not a size/ : input);
    },
  );

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses the number %d', (input) => {
    expect(() => parseSize(input)).toThrow(/not a size/);
  });

  it('is usable as a zod schema that outputs bytes', () => {
    expect(sizeSchema.parse('64MB')).toBe(67108864);
    const result = sizeSchema.safeParse('lots');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/"lots" is not a size/);
  });

  it('parses a default written as a size, so an absent key gives bytes too', () => {
    const schema = z.strictObject({ size: sizeSchema.default('64MB'), raw: sizeSchema.default(512) });
    expect(schema.parse({})).toEqual({ size: 67108864, raw: 512 });
    expect(schema.parse({ size: '1KB' }).size).toBe(1024);
    expectTypeOf(schema.parse({}).size).toEqualTypeOf<number>();
  });
});
