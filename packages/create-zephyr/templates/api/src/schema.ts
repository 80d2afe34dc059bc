import { column, defineSchema, table, timestamps } from '@zephyr/db';

/** Things to do. Types, zod schemas and the migration SQL all come from this one declaration. */
export const todos = table('todos', {
  id: column.serial().primaryKey(),
  title: column.text().check('length(trim(title)) > 0', 'todos_title_not_blank'),
  done: column.boolean().default(false),
  ...timestamps(),
});

/** The whole database. Change it, then `npm run db:generate -- <name>` writes the migration. */
export const schema = defineSchema({ tables: [todos] });

export type AppSchema = typeof schema;
