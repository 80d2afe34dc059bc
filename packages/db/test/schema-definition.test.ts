import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import {
  column,
  DatabaseArgumentError,
  dbConfigSchema,
  defineSchema,
  poolOptionsFromConfig,
  relation,
  snapshotFromSchema,
  table,
} from '../src/index.js';
import { posts, users } from './support/test-schema.js';

describe('one table definition gives zod schemas for insert, update and select', () => {
  it('insert: required columns required, defaulted and nullable optional, unknown keys rejected', () => {
    const insert = users.schemas.insert;
    expect(insert.parse({ email: 'a@x.io' })).toEqual({ email: 'a@x.io' });
    expect(insert.safeParse({}).success).toBe(false);
    expect(insert.safeParse({ email: 'a@x.io', admin: true }).success).toBe(false);
    expect(insert.safeParse({ email: 'x'.repeat(256) }).success).toBe(false);
    expect(insert.safeParse({ email: 'a@x.io', role: 'owner' }).success).toBe(false);
    expect(insert.safeParse({ email: 'a@x.io', age: 2 ** 31 }).success).toBe(false);
    expect(insert.safeParse({ email: 'a@x.io', settings: { theme: 1 } }).success).toBe(false);
    expect(insert.parse({ email: 'a@x.io', name: null }).name).toBeNull();
    type Insert = z.output<typeof insert>;
    expectTypeOf<Insert['email']>().toEqualTypeOf<string>();
    expectTypeOf<Insert['name']>().toEqualTypeOf<string | null | undefined>();
  });

  it('input coercion for request bodies: ISO timestamps become Date, digit strings become bigint', () => {
    const parsed = posts.schemas.insert.parse({
      author_id: 1,
      title: 't',
      views: '42',
      created_at: '2024-01-02T03:04:05.000Z',
    });
    expect(parsed.views).toBe(42n);
    expect(parsed.created_at).toEqual(new Date('2024-01-02T03:04:05.000Z'));
    expect(
      posts.schemas.insert.safeParse({ author_id: 1, title: 't', published_on: '2024-13-45' }).success,
    ).toBe(false);
    expect(posts.schemas.insert.safeParse({ author_id: 1, title: 't', price: '1e5' }).success).toBe(false);
  });

  it('update: every column optional, still strict and typed', () => {
    expect(users.schemas.update.parse({})).toEqual({});
    expect(users.schemas.update.parse({ age: 3 })).toEqual({ age: 3 });
    expect(users.schemas.update.safeParse({ age: 'three' }).success).toBe(false);
    expect(users.schemas.update.safeParse({ id2: 1 }).success).toBe(false);
  });

  it('select: a full row, nulls where allowed', () => {
    const row = {
      id: 1,
      email: 'a@x.io',
      name: null,
      age: null,
      role: 'member',
      settings: null,
      created_at: new Date(),
      updated_at: new Date(),
    };
    expect(users.schemas.select.parse(row)).toEqual(row);
    expect(users.schemas.select.safeParse({ ...row, email: null }).success).toBe(false);
  });

  it('derives constraint names PostgreSQL would use, and DDL types as format_type prints them', () => {
    const snapshot = snapshotFromSchema(defineSchema({ tables: [users, posts] }));
    const p = snapshot.tables.find((x) => x.name === 'posts')!;
    expect(p.primaryKey).toEqual({ name: 'posts_pkey', columns: ['id'] });
    expect(p.foreignKeys[0]).toMatchObject({
      name: 'posts_author_id_fkey',
      refTable: 'users',
      onDelete: 'cascade',
    });
    expect(p.indexes).toEqual([{ name: 'posts_author_id_idx', columns: ['author_id'], unique: false }]);
    expect(p.columns.map((c) => c.type)).toEqual([
      'integer',
      'integer',
      'text',
      'bigint',
      'numeric(10,2)',
      'date',
      'timestamp(3) with time zone',
    ]);
  });

  it('refuses definitions that could not work, at definition time', () => {
    expect(() => table('Bad Name', { id: column.serial().primaryKey() })).toThrow(DatabaseArgumentError);
    expect(() => table('t', { 'drop table': column.text().primaryKey() })).toThrow(DatabaseArgumentError);
    expect(() => table('t', { a: column.text() })).toThrow(/primary key/);
    expect(() => table('t', {})).toThrow(/no columns/);
    const orphan = table('orphans', {
      id: column.serial().primaryKey(),
      x: column.integer().references('missing', 'id'),
    });
    expect(() => defineSchema({ tables: [orphan] })).toThrow(/unknown missing/);
    expect(() =>
      defineSchema({
        tables: [users],
        relations: { users: { posts: relation.hasMany('users', { foreignKey: 'nope' }) } },
      }),
    ).toThrow(/users\.posts/);
    expect(() => defineSchema({ tables: [users, users] })).toThrow(/twice/);
  });

  it('literal defaults are rendered as SQL literals, quotes escaped', () => {
    const t = table('t', { id: column.serial().primaryKey(), s: column.text().default("it's") });
    expect(t.columns.s.definition.defaultSql).toBe("'it''s'");
  });
});

describe('dbConfigSchema: the database section of zephyr.config.yaml', () => {
  it('applies defaults, snake_case keys', () => {
    expect(dbConfigSchema.parse({})).toEqual({ pool: { max: 10, queue: 100, acquire_timeout_ms: 5000 } });
    const config = dbConfigSchema.parse({ url: 'postgres://localhost/app', pool: { max: 20 } });
    expect(config).toEqual({
      url: 'postgres://localhost/app',
      pool: { max: 20, queue: 100, acquire_timeout_ms: 5000 },
    });
    expect(poolOptionsFromConfig(config)).toEqual({ max: 20, queue: 100, acquireTimeoutMs: 5000 });
  });

  it('rejects unknown keys, camelCase and nonsense values', () => {
    expect(dbConfigSchema.safeParse({ uri: 'x' }).success).toBe(false);
    expect(dbConfigSchema.safeParse({ pool: { acquireTimeoutMs: 5 } }).success).toBe(false);
    expect(dbConfigSchema.safeParse({ pool: { max: 0 } }).success).toBe(false);
    expect(dbConfigSchema.safeParse({ pool: { queue: -1 } }).success).toBe(false);
    expect(dbConfigSchema.safeParse({ url: '' }).success).toBe(false);
  });
});
