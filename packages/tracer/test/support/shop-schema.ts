import {
  column,
  createDatabase,
  createMigrator,
  defineSchema,
  pglite,
  postgres,
  sql,
  table,
} from '@zephyr/db';

export const products = table('products', {
  id: column.serial().primaryKey(),
  sku: column.varchar(64).unique(),
  name: column.text(),
});
export const schema = defineSchema({ tables: [products] });

/** A PGlite database (in memory) with the products table and two rows. */
export async function pgliteShop() {
  const db = createDatabase({ schema, dialect: pglite() });
  await seed(db);
  return db;
}

/**
 * A PostgreSQL database (ZEPHYR_TEST_PG_URL) in a fresh schema of its own, with the table and two
 * rows; `drop()` removes the schema.
 */
export async function postgresShop() {
  const url = process.env.ZEPHYR_TEST_PG_URL;
  if (url === undefined || url === '')
    throw new Error('ZEPHYR_TEST_PG_URL is not set: start the test services (.ci/services.sh)');
  const name = `tracer_${process.pid}_${Date.now().toString(36)}`;
  const admin = createDatabase({ schema, dialect: postgres({ connectionString: url }) });
  await sql`create schema ${sql.id(name)}`.execute(admin.kysely);
  await admin.destroy();
  const db = createDatabase({
    schema,
    dialect: postgres({ connectionString: url, searchPath: name, pool: { max: 1 } }),
  });
  await seed(db);
  return Object.assign(db, {
    url,
    searchPath: name,
    async drop() {
      await sql`drop schema ${sql.id(name)} cascade`.execute(db.kysely);
      await db.destroy();
    },
  });
}

async function seed(db: ReturnType<typeof createDatabase<typeof schema>>) {
  await createMigrator(db, { directory: '/nonexistent-migrations' }).push();
  await db.models.products.createMany([
    { sku: 'a-1', name: 'Anvil' },
    { sku: 'b-2', name: 'Bellows' },
  ]);
}
