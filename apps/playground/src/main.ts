import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  attachDevtools,
  createActorPool,
  createActorSystem,
  createDatabase,
  createMigrator,
  loadConfig,
  pglite,
  postgres,
  setupTracing,
} from 'zephyr';
import { createPlaygroundApp } from './app.js';
import { checksum } from './checksum.js';
import { schema } from './schema.js';
import { playgroundSettings } from './settings.js';
import { visitCounter } from './visit-counter.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// zephyr.config.yaml beside package.json, overridable with ZEPHYR_SECTION__KEY variables.
const config = loadConfig({ cwd: here('..') });
const settings = playgroundSettings(config, process.env);

// Before anything opens: with `tracing.enabled`, requests, queries and actor messages make spans
// from the first one on (OTLP/HTTP to `tracing.otlp.endpoint`).
const tracing = settings.tracing === undefined ? undefined : setupTracing(settings.tracing);

// PostgreSQL when DATABASE_URL is set; otherwise PGlite, embedded, keeping its data on disk.
const databaseUrl = process.env.DATABASE_URL;
const dataDir = process.env.PLAYGROUND_DATA_DIR ?? here('../.zephyr/pglite');
if (!databaseUrl) mkdirSync(dataDir, { recursive: true });
const db = createDatabase({
  schema,
  dialect: databaseUrl ? postgres({ connectionString: databaseUrl }) : pglite({ dataDir }),
});
const migrator = createMigrator(db, { directory: here('../migrations') });
const applied = await migrator.migrate();
if (applied.length > 0) console.log(`applied migrations: ${applied.join(', ')}`);

// Actor threads load the actor kinds of these modules (the built JavaScript beside this file).
const system = await createActorSystem({
  config: { actor_threads: settings.actorThreads },
  modules: [new URL('./thread-tracing.js', import.meta.url), new URL('./checksum.js', import.meta.url)],
});
const visits = system.spawn(visitCounter, { name: 'visits' });
const checksums = createActorPool(system, checksum);
const app = createPlaygroundApp({
  db,
  visits,
  checksums,
  databaseKind: databaseUrl ? 'postgres' : 'pglite',
  zeroCopy: settings.zeroCopy,
});
// In development: `zephyr repl|profile|heap` reach this process, and /_zephyr is the dashboard.
// With NODE_ENV=production they stay off unless asked for (ZEPHYR_DEVTOOLS_TOKEN for the dashboard).
const devtools = await attachDevtools({
  app,
  db,
  system,
  config,
  pools: [checksums],
  migrations: migrator,
  root: here('..'),
});
const server = await app.listen(settings.listen);
console.log(
  `Zephyr playground listening on ${settings.listen.tls === undefined ? 'http' : 'https'}://${server.host}:${server.port}/ (engine: ${server.engine})${settings.listen.http3 ? ` + HTTP/3 on UDP port ${server.port}` : ''}`,
);

async function shutdown(): Promise<void> {
  await server.close();
  await devtools.close();
  await system.shutdown();
  await db.destroy();
  // Last: it flushes the spans of everything above.
  await tracing?.shutdown();
  process.exit(0);
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
