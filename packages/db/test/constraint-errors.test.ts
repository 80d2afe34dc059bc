import { describe, expect, it } from 'vitest';
import {
  CheckViolationError,
  ConstraintViolationError,
  ForeignKeyViolationError,
  NotNullViolationError,
  sql,
  UniqueViolationError,
  ZephyrDbError,
} from '../src/index.js';
import { DIALECTS, useTestDatabase } from './support/test-databases.js';
import { schema } from './support/test-schema.js';

describe.each(DIALECTS)('constraint violations become typed errors (%s)', (kind) => {
  const t = useTestDatabase(kind, schema);

  async function failure(p: Promise<unknown>): Promise<ConstraintViolationError> {
    const error = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConstraintViolationError);
    return error as ConstraintViolationError;
  }

  it('unique: names the constraint and column, not the value', async () => {
    const secret = "secret'value@x.io";
    await t.db.models.users.create({ email: secret });
    const e = await failure(t.db.models.users.create({ email: secret }));
    expect(e).toBeInstanceOf(UniqueViolationError);
    expect(e).toBeInstanceOf(ZephyrDbError);
    expect(e).toMatchObject({
      code: 'ZEPHYR_ERR_DB_UNIQUE_VIOLATION',
      status: 409,
      expose: true,
      constraint: 'users_email_key',
      table: 'users',
      columns: ['email'],
      sqlState: '23505',
    });
    expect(e.message).toContain('users_email_key');
    expect(e.message).not.toContain('secret');
  });

  it('composite primary key duplicates are unique violations naming both columns', async () => {
    const u = await t.db.models.users.create({ email: 'a@x.io' });
    const p = await t.db.models.posts.create({ author_id: u.id, title: 'p' });
    const tag = await t.db.models.tags.create({ label: 't' });
    await t.db.models.post_tags.create({ post_id: p.id, tag_id: tag.id });
    const e = await failure(t.db.models.post_tags.create({ post_id: p.id, tag_id: tag.id }));
    expect(e).toMatchObject({ constraint: 'post_tags_pkey', columns: ['post_id', 'tag_id'] });
  });

  it('not null: raw SQL bypassing validation still maps, naming the column', async () => {
    const e = await failure(sql`insert into users (email) values (null)`.execute(t.db.kysely));
    expect(e).toBeInstanceOf(NotNullViolationError);
    expect(e).toMatchObject({
      code: 'ZEPHYR_ERR_DB_NOT_NULL_VIOLATION',
      status: 422,
      table: 'users',
      columns: ['email'],
    });
  });

  it('foreign key: a missing parent', async () => {
    const e = await failure(t.db.models.posts.create({ author_id: 424242, title: 'orphan' }));
    expect(e).toBeInstanceOf(ForeignKeyViolationError);
    expect(e).toMatchObject({ constraint: 'posts_author_id_fkey', table: 'posts', columns: ['author_id'] });
  });

  it('check: column-level and table-level, columns taken from the declared schema', async () => {
    const age = await failure(t.db.models.users.create({ email: 'a@x.io', age: -1 }));
    expect(age).toBeInstanceOf(CheckViolationError);
    expect(age).toMatchObject({
      code: 'ZEPHYR_ERR_DB_CHECK_VIOLATION',
      status: 422,
      constraint: 'users_age_check',
      columns: ['age'],
    });
    const u = await t.db.models.users.create({ email: 'b@x.io' });
    const blank = await failure(t.db.models.posts.create({ author_id: u.id, title: '   ' }));
    expect(blank).toMatchObject({ constraint: 'posts_title_not_blank', table: 'posts' });
    const role = await failure(
      sql`insert into users (email, role) values ('c@x.io', 'root')`.execute(t.db.kysely),
    );
    expect(role).toMatchObject({ constraint: 'users_role_check', columns: ['role'] });
  });

  it('errors inside a transaction are typed too, and the transaction rolls back', async () => {
    await t.db.models.users.create({ email: 'dup@x.io' });
    await expect(
      t.db.transaction(async (tx) => {
        await tx.models.tags.create({ label: 'kept?' });
        await tx.models.users.create({ email: 'dup@x.io' });
      }),
    ).rejects.toBeInstanceOf(UniqueViolationError);
    expect(await t.db.models.tags.count()).toBe(0);
  });
});
