import { column, defineSchema, relation, table, timestamps } from 'zephyr';

/** People who write notes. */
export const users = table('users', {
  id: column.serial().primaryKey(),
  name: column.text().check('length(trim(name)) > 0', 'users_name_not_blank'),
  email: column.varchar(255).unique(),
  ...timestamps(),
});

/** Notes, each written by one user. */
export const notes = table('notes', {
  id: column.serial().primaryKey(),
  author_id: column.integer().references('users', 'id', { onDelete: 'cascade' }).index(),
  title: column.text().check('length(trim(title)) > 0', 'notes_title_not_blank'),
  body: column.text().default(''),
  ...timestamps(),
});

/** The playground's whole database, declared once: types, zod schemas and DDL come from here. */
export const schema = defineSchema({
  tables: [users, notes],
  relations: {
    users: { notes: relation.hasMany('notes', { foreignKey: 'author_id' }) },
    notes: { author: relation.belongsTo('users', { foreignKey: 'author_id' }) },
  },
});

export type PlaygroundSchema = typeof schema;
