import { describe, expect, it } from 'vitest';
import { isFieldName, LOWERED_NAMES_MAX, lowerCaseName } from '../src/field-name.js';

describe('field names', () => {
  it('are RFC 9110 tokens', () => {
    expect(isFieldName('X-Request-Id')).toBe(true);
    expect(isFieldName('bad name')).toBe(false);
    expect(isFieldName('')).toBe(false);
    expect(isFieldName(42)).toBe(false);
  });

  it('are lower-cased for header lookups, the same answer from the cache as without it', () => {
    expect(lowerCaseName('TraceParent')).toBe('traceparent');
    expect(lowerCaseName('TraceParent')).toBe('traceparent');
    expect(lowerCaseName('baggage')).toBe('baggage');
  });

  it('keep lower-casing right past the cache bound (names an app takes from the wire)', () => {
    const names = Array.from({ length: LOWERED_NAMES_MAX * 3 }, (_, i) => `X-Hostile-${i}-NAME`);
    for (const name of names) expect(lowerCaseName(name)).toBe(name.toLowerCase());
    // Asked again once the cache is full: still right.
    for (const name of names.slice(-10)) expect(lowerCaseName(name)).toBe(name.toLowerCase());
  });
});
