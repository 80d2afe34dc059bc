import { z } from 'zod';
import { column, defineSchema, relation, table, timestamps } from '../../src/index.js';

export const users = table('users', {
  id: column.serial().primaryKey(),
  email: column.varchar(255).unique(),
  name: column.text().nullable(),
  age: column.integer().nullable().check('age >= 0', 'users_age_check'),
  role: column.enum(['admin', 'member']).default('member'),
  settings: column.jsonb(z.object({ theme: z.string() })).nullable(),
  ...timestamps(),
});

export const posts = table(
  'posts',
  {
    id: column.serial().primaryKey(),
    author_id: column.integer().references('users', 'id', { onDelete: 'cascade' }).index(),
    title: column.text(),
    views: column.bigint().default(0n),
    price: column.numeric(10, 2).nullable(),
    published_on: column.date().nullable(),
    created_at: column.timestamp().defaultSql('now()'),
  },
  { checks: [{ name: 'posts_title_not_blank', expression: 'length(trim(title)) > 0' }] },
);

export const tags = table('tags', {
  id: column.serial().primaryKey(),
  label: column.text().unique(),
});

export const postTags = table(
  'post_tags',
  {
    post_id: column.integer().references('posts', 'id', { onDelete: 'cascade' }),
    tag_id: column.integer().references('tags', 'id', { onDelete: 'cascade' }),
  },
  { primaryKey: ['post_id', 'tag_id'], indexes: [{ columns: ['tag_id', 'post_id'] }] },
);

export const schema = defineSchema({
  tables: [users, posts, tags, postTags],
  relations: {
    users: { posts: relation.hasMany('posts', { foreignKey: 'author_id' }) },
    posts: {
      author: relation.belongsTo('users', { foreignKey: 'author_id' }),
      tags: relation.manyToMany('tags', {
        through: 'post_tags',
        sourceForeignKey: 'post_id',
        targetForeignKey: 'tag_id',
      }),
    },
    tags: {
      posts: relation.manyToMany('posts', {
        through: 'post_tags',
        sourceForeignKey: 'tag_id',
        targetForeignKey: 'post_id',
      }),
    },
  },
});

export type TestSchema = typeof schema;
