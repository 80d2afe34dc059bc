// One object per contestant, each with the same three operations, written the way that library's
// documentation recommends for a hot path.
import { PGlite } from '@electric-sql/pglite';
import { createDatabase, pglite, postgres } from '@zephyr/db';
import { asc, sql as dsql, eq, gt } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { DDL, drizzleSchema, SEED, zephyrSchema } from './schema.mjs';

const POOL_MAX = 4;

/** Shapes `posts` + `authors` rows into posts with an `author` object, as every contestant returns. */
function attachAuthors(posts, authors) {
  const byId = new Map(authors.map((a) => [a.id, a]));
  for (const p of posts) p.author = byId.get(p.author_id) ?? null;
  return posts;
}

export async function setUpPostgres(url, schemaName) {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop schema if exists ${schemaName} cascade`);
  await admin.query(`create schema ${schemaName}`);
  await admin.query(`set search_path = ${schemaName}`);
  await admin.query(DDL);
  await admin.query(SEED);
  await admin.query('analyze');
  return async () => {
    await admin.query(`drop schema if exists ${schemaName} cascade`);
    await admin.end();
  };
}

export async function rawPg(url, schemaName) {
  const pool = new pg.Pool({ connectionString: url, max: POOL_MAX, options: `-c search_path=${schemaName}` });
  return {
    name: 'raw pg',
    selectByPk: async (id) =>
      (await pool.query('select id, email, name from users where id = $1', [id])).rows[0],
    insertOne: async (i) =>
      (
        await pool.query('insert into posts (author_id, title) values ($1, $2) returning *', [
          1 + (i % 1000),
          `t${i}`,
        ])
      ).rows[0],
    select100WithRelation: async (after) => {
      const posts = (await pool.query('select * from posts where id > $1 order by id limit 100', [after]))
        .rows;
      const ids = [...new Set(posts.map((p) => p.author_id))];
      const authors = (await pool.query('select id, email, name from users where id = any($1)', [ids])).rows;
      return attachAuthors(posts, authors);
    },
    close: () => pool.end(),
  };
}

export async function rawPgNamed(url, schemaName) {
  const pool = new pg.Pool({ connectionString: url, max: POOL_MAX, options: `-c search_path=${schemaName}` });
  const q = async (name, text, values) => (await pool.query({ name, text, values })).rows;
  return {
    name: 'raw pg (named prepared)',
    selectByPk: async (id) => (await q('by_pk', 'select id, email, name from users where id = $1', [id]))[0],
    insertOne: async (i) =>
      (
        await q('ins', 'insert into posts (author_id, title) values ($1, $2) returning *', [
          1 + (i % 1000),
          `t${i}`,
        ])
      )[0],
    select100WithRelation: async (after) => {
      const posts = await q('page', 'select * from posts where id > $1 order by id limit 100', [after]);
      const ids = [...new Set(posts.map((p) => p.author_id))];
      return attachAuthors(
        posts,
        await q('authors', 'select id, email, name from users where id = any($1)', [ids]),
      );
    },
    close: () => pool.end(),
  };
}

export async function rawPgJoin(url, schemaName) {
  const pool = new pg.Pool({ connectionString: url, max: POOL_MAX, options: `-c search_path=${schemaName}` });
  return {
    name: 'raw pg (join)',
    select100WithRelation: async (after) => {
      const { rows } = await pool.query(
        `select p.*, u.email as u_email, u.name as u_name from posts p join users u on u.id = p.author_id
         where p.id > $1 order by p.id limit 100`,
        [after],
      );
      return rows.map(({ u_email, u_name, ...p }) => ({
        ...p,
        author: { id: p.author_id, email: u_email, name: u_name },
      }));
    },
    close: () => pool.end(),
  };
}

export async function plainKysely(url, schemaName) {
  const db = new Kysely({
    dialect: new PostgresDialect({
      pool: new pg.Pool({ connectionString: url, max: POOL_MAX, options: `-c search_path=${schemaName}` }),
    }),
  });
  return {
    name: 'kysely',
    selectByPk: (id) =>
      db.selectFrom('users').select(['id', 'email', 'name']).where('id', '=', id).executeTakeFirst(),
    insertOne: (i) =>
      db
        .insertInto('posts')
        .values({ author_id: 1 + (i % 1000), title: `t${i}` })
        .returningAll()
        .executeTakeFirst(),
    select100WithRelation: async (after) => {
      const posts = await db
        .selectFrom('posts')
        .selectAll()
        .where('id', '>', after)
        .orderBy('id')
        .limit(100)
        .execute();
      const ids = [...new Set(posts.map((p) => p.author_id))];
      const authors = await db
        .selectFrom('users')
        .select(['id', 'email', 'name'])
        .where('id', 'in', ids)
        .execute();
      return attachAuthors(posts, authors);
    },
    close: () => db.destroy(),
  };
}

export async function drizzlePrepared(url, schemaName) {
  const pool = new pg.Pool({ connectionString: url, max: POOL_MAX, options: `-c search_path=${schemaName}` });
  const db = drizzle(pool, { schema: drizzleSchema });
  const { users, posts } = drizzleSchema;
  const byPk = db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .where(eq(users.id, dsql.placeholder('id')))
    .prepare('bench_user_by_pk');
  const insert = db
    .insert(posts)
    .values({ authorId: dsql.placeholder('authorId'), title: dsql.placeholder('title') })
    .returning()
    .prepare('bench_insert_post');
  const page = db.query.posts
    .findMany({
      where: gt(posts.id, dsql.placeholder('after')),
      orderBy: [asc(posts.id)],
      limit: 100,
      with: { author: true },
    })
    .prepare('bench_posts_with_author');
  return {
    name: 'drizzle (prepared)',
    selectByPk: async (id) => (await byPk.execute({ id }))[0],
    insertOne: async (i) => (await insert.execute({ authorId: 1 + (i % 1000), title: `t${i}` }))[0],
    select100WithRelation: (after) => page.execute({ after }),
    close: () => pool.end(),
  };
}

function zephyrContestants(db, label) {
  const byPk = db.prepare((q, p) =>
    q.selectFrom('users').select(['id', 'email', 'name']).where('id', '=', p('id')),
  );
  const insert = db.prepare((q, p) =>
    q
      .insertInto('posts')
      .values({ author_id: p('author_id'), title: p('title') })
      .returningAll(),
  );
  const model = {
    name: `zephyr model${label}`,
    selectByPk: (id) => db.models.users.find(id),
    insertOne: (i) => db.models.posts.create({ author_id: 1 + (i % 1000), title: `t${i}` }),
    select100WithRelation: (after) =>
      db.models.posts.findMany({
        where: { id: { gt: after } },
        orderBy: { id: 'asc' },
        limit: 100,
        with: { author: true },
      }),
    close: () => db.destroy(),
  };
  const prepared = {
    name: `zephyr prepare()${label}`,
    selectByPk: (id) => byPk.executeTakeFirst({ id }),
    insertOne: (i) => insert.executeTakeFirst({ author_id: 1 + (i % 1000), title: `t${i}` }),
    close: async () => {},
  };
  return [model, prepared];
}

export async function zephyrPostgres(url, schemaName) {
  const db = createDatabase({
    schema: zephyrSchema,
    dialect: postgres({ connectionString: url, searchPath: schemaName, pool: { max: POOL_MAX } }),
  });
  return zephyrContestants(db, '');
}

export async function zephyrPGlite() {
  const instance = await PGlite.create();
  await instance.exec(DDL);
  await instance.exec(SEED);
  const db = createDatabase({ schema: zephyrSchema, dialect: pglite({ instance }) });
  const [model] = zephyrContestants(db, ' [PGlite]');
  const raw = {
    name: 'raw PGlite',
    selectByPk: async (id) =>
      (await instance.query('select id, email, name from users where id = $1', [id])).rows[0],
    insertOne: async (i) =>
      (
        await instance.query('insert into posts (author_id, title) values ($1, $2) returning *', [
          1 + (i % 1000),
          `t${i}`,
        ])
      ).rows[0],
    select100WithRelation: async (after) => {
      const posts = (await instance.query('select * from posts where id > $1 order by id limit 100', [after]))
        .rows;
      const ids = [...new Set(posts.map((p) => p.author_id))];
      const authors = (await instance.query('select id, email, name from users where id = any($1)', [ids]))
        .rows;
      return attachAuthors(posts, authors);
    },
    close: () => instance.close(),
  };
  return [model, { ...raw, close: async () => {} }, { name: '', close: () => instance.close() }];
}
