import { describe, expect, it } from 'vitest';
import { equalityFilter, InvalidQueryError } from '../src/index.js';
import { DIALECTS, useTestDatabase } from './support/test-databases.js';
import { schema, users } from './support/test-schema.js';

const maybe = (): number | undefined => undefined;

describe.each(DIALECTS)('the safe-filter rule: no filter ever silently matches every row (%s)', (kind) => {
  const t = useTestDatabase(kind, schema);

  const seed = async () => {
    await t.db.models.users.createMany([
      { email: 'a@x.io', age: 1 },
      { email: 'b@x.io', age: 2 },
      { email: 'c@x.io', age: 3 },
    ]);
  };

  it('refuses undefined operands, empty AND/OR, unknown operators and where: null — and touches nothing', async () => {
    await seed();
    const m = t.db.models.users;
    const attempts: (() => Promise<unknown>)[] = [
      // @ts-expect-error an undefined operand does not compile
      () => m.delete({ id: { eq: undefined } }),
      // @ts-expect-error an undefined operand does not compile
      () => m.delete({ id: { in: undefined } }),
      // @ts-expect-error an empty AND does not compile
      () => m.delete({ AND: [] }),
      // @ts-expect-error an undefined column value does not compile
      () => m.delete({ AND: [{ id: undefined }] }),
      // @ts-expect-error an operand that may be undefined does not compile
      () => m.delete({ id: { eq: maybe() } }),
      // @ts-expect-error an empty filter does not compile
      () => m.delete({}),
      // @ts-expect-error an empty AND does not compile
      () => m.update({ AND: [] }, { name: 'x' }),
      // @ts-expect-error an empty OR does not compile
      () => m.update({ OR: [] }, { name: 'x' }),
      () => m.delete({ id: { gte: 1, between: [1, 2] } as never }),
      () => m.delete({ id: {} } as never),
      () => m.delete(null as never),
      () => m.delete(undefined as never),
      () => m.update(null as never, { name: 'x' }),
      () => m.delete({ NOT: {} } as never),
      () => m.delete({ all: false } as never),
      () => m.delete({ all: 'true' } as never),
      // @ts-expect-error reads follow the rule too: an undefined operand does not compile
      () => m.findFirst({ where: { email: { eq: undefined } } }),
      () => m.findMany({ where: null as never }),
      () => m.findMany({ where: {} }), // an empty object literal gives the types nothing to infer from

      // @ts-expect-error an empty OR does not compile
      () => m.count({ OR: [] }),
      // @ts-expect-error an operand that may be undefined does not compile
      () => m.paginate({ first: 5, where: { id: { gt: maybe() } } }),
    ];
    for (const attempt of attempts) {
      await expect(attempt()).rejects.toMatchObject({
        code: 'ZEPHYR_ERR_DB_INVALID_QUERY',
        status: 400,
        expose: true,
      });
    }
    expect(await m.count()).toBe(3);
    expect((await m.findMany({ orderBy: { id: 'asc' } })).map((u) => u.name)).toEqual([null, null, null]);
  });

  it('mass writes need { all: true }, deleteAll() or updateAll()', async () => {
    await seed();
    const m = t.db.models.users;
    expect(await m.update({ all: true }, { name: 'everyone' })).toHaveLength(3);
    expect(await m.updateAll({ age: 9 })).toHaveLength(3);
    expect(await m.count({ name: 'everyone', age: 9 })).toBe(3);
    expect(await m.delete({ all: true })).toBe(3);
    await seed();
    expect(await m.deleteAll()).toBe(3);
    expect(await m.count()).toBe(0);
  });

  it('a where object from a request body cannot smuggle operators in through equalityFilter', async () => {
    await seed();
    const body: unknown = JSON.parse('{"email":{"ne":""}}');
    // The unsafe way matches every row: exactly what the rule cannot forbid, since operators are legal.
    expect(await t.db.models.users.count(body as never)).toBe(3);
    // The safe way refuses it.
    expect(() => equalityFilter(users, body, ['email'])).toThrow(InvalidQueryError);
    expect(() => equalityFilter(users, { email: ['a@x.io'] }, ['email'])).toThrow(InvalidQueryError);
    expect(() => equalityFilter(users, { role: 'admin' }, ['email'])).toThrow(/cannot filter on "role"/);
    expect(() => equalityFilter(users, { constructor: 'x' }, ['email'])).toThrow(InvalidQueryError);
    expect(() => equalityFilter(users, {}, ['email'])).toThrow(/names no column/);
    expect(() => equalityFilter(users, { age: 'old' }, ['age'])).toThrow(/invalid value for "age"/);
    const where = equalityFilter(users, { email: 'b@x.io' }, ['email']);
    expect((await t.db.models.users.findMany({ where })).map((u) => u.email)).toEqual(['b@x.io']);
    // Operators from code combine with it.
    const combined = { ...equalityFilter(users, { email: 'c@x.io' }, ['email']), age: { gte: 3 } };
    expect(await t.db.models.users.count(combined)).toBe(1);
  });

  it('a filter typed as a whole Where (a variable) still compiles and is checked at run time', async () => {
    await seed();
    const filters: Parameters<typeof t.db.models.users.count>[0][] = [
      { age: 2 },
      { email: undefined } as never,
    ];
    expect(await t.db.models.users.count(filters[0])).toBe(1);
    await expect(t.db.models.users.count(filters[1])).rejects.toBeInstanceOf(InvalidQueryError);
  });
});
