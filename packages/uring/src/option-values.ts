// The checks every listen option shares (listen options, limits, TLS, HTTP/2 and HTTP/3 settings), so
// that each names a bad value in the same words.
import { InvalidArgumentError } from './errors.js';

/** Whether `value` is a plain object of options (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` as an error message names it: strings quoted, scalars as written, objects by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** `value` when it is an integer in `[min, max]`; otherwise throws {@link InvalidArgumentError} naming `name`. */
export function integerIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      `${name} must be an integer from ${min} to ${max}, got ${describeValue(value)}`,
    );
  }
  return value;
}
