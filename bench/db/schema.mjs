// The benchmark tables, declared once per contestant in its own idiom.
import { column, defineSchema, relation, table } from '@zephyr/db';
import { relations as drizzleRelations } from 'drizzle-orm';
import { integer, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core';

export const DDL = `
  create table users (id serial primary key, email text not null unique, name text);
  create table posts (
    id serial primary key,
    author_id integer not null references users (id),
    title text not null,
    created_at timestamp(3) with time zone not null default now()
  );
  create index posts_author_id_idx on posts (author_id);`;

export const USERS = 1000;
export const POSTS = 10_000;

export const zephyrSchema = defineSchema({
  tables: [
    table('users', {
      id: column.serial().primaryKey(),
      email: column.text().unique(),
      name: column.text().nullable(),
    }),
    table('posts', {
      id: column.serial().primaryKey(),
      author_id: column.integer().references('users', 'id').index(),
      title: column.text(),
      created_at: column.timestamp().defaultSql('now()'),
    }),
  ],
  relations: { posts: { author: relation.belongsTo('users', { foreignKey: 'author_id' }) } },
});

export const dUsers = pgTable('users', {
  id: serial('id').primaryKey(),
  email: text('email').notNull(),
  name: text('name'),
});
export const dPosts = pgTable('posts', {
  id: serial('id').primaryKey(),
  authorId: integer('author_id').notNull(),
  title: text('title').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});
export const dPostsRelations = drizzleRelations(dPosts, ({ one }) => ({
  author: one(dUsers, { fields: [dPosts.authorId], references: [dUsers.id] }),
}));
export const drizzleSchema = { users: dUsers, posts: dPosts, postsRelations: dPostsRelations };

/** Seeds USERS users and POSTS posts with one set-based statement each. */
export const SEED = `
  insert into users (email, name) select 'user' || i || '@example.com', 'User ' || i from generate_series(1, ${USERS}) i;
  insert into posts (author_id, title) select 1 + (i % ${USERS}), 'Post ' || i from generate_series(1, ${POSTS}) i;`;
