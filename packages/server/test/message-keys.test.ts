import { describe, expect, it } from 'vitest';
import { forbiddenKeyPath } from '../src/actor-route/message-keys.js';

describe('forbiddenKeyPath', () => {
  it('finds a __proto__ key at any depth, in objects and arrays', () => {
    expect(forbiddenKeyPath({ a: 1, b: [{ c: 2 }] })).toBeUndefined();
    expect(forbiddenKeyPath(JSON.parse('{"__proto__":{}}'))).toBe('__proto__');
    expect(forbiddenKeyPath(JSON.parse('{"a":[1,{"__proto__":1}]}'))).toBe('a.1.__proto__');
    expect(forbiddenKeyPath(null)).toBeUndefined();
  });

  it('walks a body nested 200,000 deep without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(200_000)}{"__proto__":1}${']'.repeat(200_000)}`);
    expect(forbiddenKeyPath(deep)?.endsWith('0.__proto__')).toBe(true);
  });
});
