import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compileSerializer } from '../src/index.js';

describe('compileSerializer', () => {
  const schema = z.object({
    id: z.int(),
    name: z.string(),
    nick: z.string().optional(),
    score: z.number().nullable(),
    tags: z.array(z.string()),
    kind: z.enum(['a', 'b']),
    flag: z.boolean(),
    nested: z.object({ at: z.date(), any: z.union([z.string(), z.number()]) }),
    'we"ird key': z.literal('x'),
  });
  const serialize = compileSerializer(schema);

  it('produces what JSON.stringify produces for values matching the schema', () => {
    const tricky = [
      'plain',
      'quote " and \\ backslash',
      'line\nbreak\ttab',
      '\u0000\u001f',
      'é ☃ 𝄞',
      '\ud800 lone',
      'x'.repeat(300),
    ];
    for (const name of tricky) {
      const value = {
        id: 1,
        name,
        score: null,
        tags: [name, ''],
        kind: 'b' as const,
        flag: false,
        nested: { at: new Date(0), any: 3 },
        'we"ird key': 'x' as const,
      };
      expect(JSON.parse(serialize(value))).toEqual(JSON.parse(JSON.stringify(value)));
      expect(serialize(value)).toBe(JSON.stringify(value));
    }
  });

  it('drops keys outside the schema and leaves absent optional keys out', () => {
    const out = serialize({
      id: 2,
      name: 'n',
      score: 1.5,
      tags: [],
      kind: 'a',
      flag: true,
      nested: { at: new Date(0), any: 'y' },
      'we"ird key': 'x',
      password: 'secret',
    });
    expect(out).not.toContain('secret');
    expect(JSON.parse(out)).not.toHaveProperty('nick');
  });

  it('writes null for non-finite numbers, like JSON', () => {
    expect(compileSerializer(z.object({ n: z.number() }))({ n: Number.NaN })).toBe('{"n":null}');
  });
});
