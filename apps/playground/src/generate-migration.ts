// Writes the next migration file: the diff between migrations/ applied to an empty embedded
// database and the schema declared in schema.ts. Review the SQL, then commit it.
//   pnpm --filter @zephyr/playground db:generate <name>
import { fileURLToPath } from 'node:url';
import { createDatabase, createMigrator, pglite } from 'zephyr';
import { schema } from './schema.js';

const name = process.argv[2];
if (!name) {
  console.error('usage: db:generate <name>   (lower-case letters, digits and _)');
  process.exit(2);
}
const db = createDatabase({ schema, dialect: pglite() });
const migrator = createMigrator(db, { directory: fileURLToPath(new URL('../migrations', import.meta.url)) });
await migrator.migrate();
const generated = await migrator.generate(name);
console.log(
  generated
    ? `wrote ${generated.file} (${generated.changes.length} changes)`
    : 'schema.ts and migrations/ agree: nothing to generate',
);
await db.destroy();
