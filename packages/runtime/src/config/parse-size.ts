import { InvalidArgumentError } from '../errors.js';

const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1024,
  k: 1024,
  mb: 1024 ** 2,
  m: 1024 ** 2,
  gb: 1024 ** 3,
  g: 1024 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/**
 * Parses a size given as a byte count or a string like `64MB`, `512 kb`, `1.5GiB` (binary units:
 * `KB` = 1024 bytes, because pools are sized against memory pages, not disks).
 *
 * @throws {InvalidArgumentError} for negative, non-integer byte results or unknown units.
 * @example parseSize('64MB') // 67108864
 */
export function parseSize(value: number | string): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new InvalidArgumentError(`size must be a non-negative integer of bytes, got ${value}`);
    }
    return value;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  const unit = UNITS[(match?.[2] ?? '').toLowerCase() || 'b'];
  if (match === null || unit === undefined) {
    throw new InvalidArgumentError(`size "${value}" is not a byte count or a size like 64MB`);
  }
  const bytes = Math.floor(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw new InvalidArgumentError(`size "${value}" is too large`);
  return bytes;
}
