import { resolve } from 'node:path';
import {
  createDatabase,
  createMigrator,
  loadSeed,
  MigrationChecksumError,
  type MigrationFile,
  MigrationMissingError,
  type MigrationStatus,
  pglite,
  readMigrations,
  runSeed,
  type SchemaChange,
} from '@zephyr/db';
import { DEFAULT_MIGRATIONS_DIR, DEFAULT_SCHEMA_MODULE } from './app-layout.js';
import { type CommandContext, UsageError } from './command.js';
import { loadZephyrConfig } from './config-sections.js';
import { describeDatabase, openDatabase } from './open-database.js';
import { parseCommandArgs } from './parse-command-args.js';
import { loadSchemaModule } from './schema-module.js';

// A rollback runs a migration's down SQL; these statements lose rows or columns for good.
const DATA_LOSS = /\b(drop\s+table|drop\s+column|truncate|delete\s+from)\b/i;

const SUBCOMMANDS = ['generate', 'migrate', 'rollback', 'status', 'seed'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

const flags = {
  config: { type: 'string' },
  schema: { type: 'string' },
  migrations: { type: 'string' },
  'allow-destructive': { type: 'boolean' },
  steps: { type: 'string' },
} as const;

interface DbRun {
  context: CommandContext;
  args: readonly string[];
  allowDestructive: boolean;
  steps: number;
  migrations: string;
  schema: Awaited<ReturnType<typeof loadSchemaModule>>;
  open: () => ReturnType<typeof openDatabase>;
  where: string;
  root: string;
}

/**
 * `zephyr db generate|migrate|rollback|status`: @zephyr/db's migrator from the command line. Every
 * command shows what it will do before doing it; a step that loses data is refused unless
 * `--allow-destructive` is given.
 */
export async function runDb(args: readonly string[], context: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, flags, 2);
  const sub = positionals[0];
  if (sub === undefined || !(SUBCOMMANDS as readonly string[]).includes(sub)) {
    throw new UsageError(
      sub === undefined
        ? 'which one? generate, migrate, rollback, status or seed'
        : `unknown db command "${sub}"`,
    );
  }
  const takesArgument = sub === 'generate' || sub === 'seed';
  if (!takesArgument && positionals.length > 1)
    throw new UsageError(`unexpected argument: "${positionals[1]}"`);
  if (sub === 'seed' && positionals[1] === undefined)
    throw new UsageError('seed needs a seed file, e.g. zephyr db seed dist/seed.js');
  if (sub === 'generate' && positionals[1] === undefined)
    throw new UsageError('generate needs a migration name, e.g. zephyr db generate add_posts');
  if (sub !== 'rollback' && values.steps !== undefined)
    throw new UsageError('--steps applies to rollback only');
  const steps = values.steps === undefined ? 1 : Number(values.steps);
  if (!Number.isInteger(steps) || steps < 1)
    throw new UsageError(`--steps must be a positive integer (got "${values.steps}")`);

  const { config, root } = loadZephyrConfig(context.cwd, context.env, values.config);
  const schema = await loadSchemaModule(values.schema ?? DEFAULT_SCHEMA_MODULE, root);
  const run: DbRun = {
    context,
    args: positionals.slice(1),
    allowDestructive: values['allow-destructive'] === true,
    steps,
    migrations: resolve(root, values.migrations ?? DEFAULT_MIGRATIONS_DIR),
    schema,
    open: () => openDatabase(schema, config.database, root),
    where: describeDatabase(config.database, root),
    root,
  };
  return subcommands[sub as Subcommand](run);
}

const subcommands: Record<Subcommand, (run: DbRun) => Promise<number>> = {
  async generate(run) {
    const name = run.args[0]!;
    const scratch = await scratchDatabase(run);
    try {
      const migrator = createMigrator(scratch, { directory: run.migrations });
      const changes = await migrator.diff();
      if (changes.length === 0) {
        run.context.out(`the schema and ${run.migrations} agree: nothing to generate\n`);
        return 0;
      }
      run.context.out(`changes from ${run.migrations} to the schema:\n${listChanges(changes)}`);
      const destructive = changes.filter((c) => c.destructive);
      if (destructive.length > 0 && !run.allowDestructive)
        return refuse(
          run,
          destructive.map((c) => `${c.description} drops data`),
        );
      const generated = await migrator.generate(name, { allowDestructive: run.allowDestructive });
      run.context.out(`wrote ${generated?.file}: review it, then run zephyr db migrate\n`);
      return 0;
    } finally {
      await scratch.destroy();
    }
  },

  async migrate(run) {
    const db = run.open();
    try {
      const migrator = createMigrator(db, { directory: run.migrations });
      const files = await readMigrations(run.migrations);
      const pending = pendingFiles(files, trusted(await migrator.status(files)));
      run.context.out(`database: ${run.where}\n`);
      if (pending.length === 0) {
        run.context.out(`up to date: ${files.length} migration${files.length === 1 ? '' : 's'} applied\n`);
        return 0;
      }
      for (const file of pending)
        run.context.out(`\n-- ${file.name}${file.destructive ? ' [destructive]' : ''}\n${file.up}\n`);
      const destructive = pending.filter((f) => f.destructive);
      if (destructive.length > 0 && !run.allowDestructive)
        return refuse(
          run,
          destructive.map((f) => `migration ${f.name} is marked destructive`),
        );
      const applied = await migrator.migrate({ allowDestructive: run.allowDestructive });
      run.context.out(`\napplied: ${applied.join(', ')}\n`);
      return 0;
    } finally {
      await db.destroy();
    }
  },

  async rollback(run) {
    const db = run.open();
    try {
      const migrator = createMigrator(db, { directory: run.migrations });
      const files = await readMigrations(run.migrations);
      const applied = trusted(await migrator.status(files)).filter((s) => s.state !== 'pending');
      run.context.out(`database: ${run.where}\n`);
      if (applied.length === 0) {
        run.context.out('nothing to roll back: no migration is applied\n');
        return 0;
      }
      const byName = new Map(files.map((f) => [f.name, f]));
      const targets = applied.slice(-run.steps).reverse();
      const losing: string[] = [];
      for (const target of targets) {
        const down = byName.get(target.name)?.down ?? '';
        run.context.out(`\n-- undo ${target.name}\n${down === '' ? '(no down SQL)' : down}\n`);
        if (DATA_LOSS.test(down)) losing.push(`undoing ${target.name} drops data`);
      }
      if (losing.length > 0 && !run.allowDestructive) return refuse(run, losing);
      const undone = await migrator.rollback({ steps: run.steps });
      run.context.out(`\nrolled back: ${undone.join(', ')}\n`);
      return 0;
    } finally {
      await db.destroy();
    }
  },

  async seed(run) {
    const file = run.args[0]!;
    const seed = await loadSeed(file, run.root);
    const db = run.open();
    try {
      run.context.out(`database: ${run.where}\n`);
      try {
        const { durationMs } = await runSeed(db, seed);
        run.context.out(`seeded from ${file} in ${Math.round(durationMs)} ms\n`);
        return 0;
      } catch (err) {
        // The seed ran in one transaction: its failure rolled every row back.
        run.context.err(
          `zephyr db seed: ${file} failed, nothing was written: ${err instanceof Error ? err.message : String(err)}\n`,
        );
        return 1;
      }
    } finally {
      await db.destroy();
    }
  },

  async status(run) {
    const db = run.open();
    try {
      const files = await readMigrations(run.migrations);
      const status = await createMigrator(db, { directory: run.migrations }).status(files);
      run.context.out(`database: ${run.where}\nmigrations: ${run.migrations}\n`);
      if (status.length === 0) run.context.out('  (none)\n');
      for (const s of status) {
        const at = s.appliedAt ? `  ${s.appliedAt.toISOString()}` : '';
        run.context.out(`  ${s.state.padEnd(8)} ${s.name}${at}\n`);
      }
    } finally {
      await db.destroy();
    }
    const changes = await unmigratedChanges(run);
    run.context.out(
      changes.length === 0
        ? 'schema: every change is in a migration\n'
        : `schema: ${changes.length} change${changes.length === 1 ? '' : 's'} not in a migration yet (zephyr db generate <name>):\n${listChanges(changes)}`,
    );
    return 0;
  },
};

/** An in-memory PGlite with every migration file applied: the baseline a new migration is diffed from. */
async function scratchDatabase(run: DbRun) {
  const scratch = createDatabase({ schema: run.schema, dialect: pglite() });
  try {
    await createMigrator(scratch, { directory: run.migrations }).migrate({ allowDestructive: true });
  } catch (err) {
    await scratch.destroy();
    throw err;
  }
  return scratch;
}

/** What the declared schema has that the migration files do not (independent of any live database). */
async function unmigratedChanges(run: DbRun): Promise<SchemaChange[]> {
  const scratch = await scratchDatabase(run);
  try {
    return await createMigrator(scratch, { directory: run.migrations }).diff();
  } finally {
    await scratch.destroy();
  }
}

/**
 * The status, once no applied migration was edited or deleted: otherwise nothing shown would be
 * what runs, so the command stops first, with the migrator's own error.
 */
function trusted(status: MigrationStatus[]): MigrationStatus[] {
  for (const s of status) {
    if (s.state === 'changed') throw new MigrationChecksumError(s.name);
    if (s.state === 'missing') throw new MigrationMissingError(s.name);
  }
  return status;
}

function pendingFiles(files: readonly MigrationFile[], status: readonly { name: string; state: string }[]) {
  const pending = new Set(status.filter((s) => s.state === 'pending').map((s) => s.name));
  return files.filter((f) => pending.has(f.name));
}

function listChanges(changes: readonly SchemaChange[]): string {
  return changes.map((c) => `  ${c.destructive ? '[destructive] ' : ''}${c.description}\n`).join('');
}

function refuse(run: DbRun, what: readonly string[]): number {
  run.context.err(
    `refusing: ${what.join('; ')}. That loses data: review the SQL above, then re-run with --allow-destructive\n`,
  );
  return 1;
}
