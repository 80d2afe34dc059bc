import type { KeyConstraint } from '../schema/table.js';
import {
  q,
  renderAddCheck,
  renderAddForeignKey,
  renderAddPrimaryKey,
  renderAddUnique,
  renderColumn,
  renderCreateIndex,
  renderCreateTable,
  renderDropConstraint,
  renderDropIndex,
} from './render-ddl.js';
import {
  type ColumnSnapshot,
  normalizeDefault,
  type SchemaSnapshot,
  type TableSnapshot,
} from './schema-snapshot.js';

/** One step that brings the live database closer to the declared schema, with its inverse. */
export interface SchemaChange {
  /** Human-readable, e.g. `add column posts.title`. */
  readonly description: string;
  /** Loses data when applied (drop table, drop column, column type change). */
  readonly destructive: boolean;
  readonly up: readonly string[];
  readonly down: readonly string[];
}

const sameColumns = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((c, i) => c === b[i]);
const byName = <T extends { name: string }>(items: readonly T[]) => new Map(items.map((i) => [i.name, i]));

/**
 * The ordered changes turning `live` into `declared`. Constraints and indexes are matched by name,
 * so changing a check's expression means giving it a new name. Phases are ordered so every
 * statement's dependencies exist: tables and columns first, foreign keys after every table, drops last.
 */
export function diffSchemas(live: SchemaSnapshot, declared: SchemaSnapshot): SchemaChange[] {
  const liveTables = byName(live.tables);
  const declaredTables = byName(declared.tables);
  const create: SchemaChange[] = [];
  const alter: SchemaChange[] = [];
  const dropConstraints: SchemaChange[] = [];
  const addConstraints: SchemaChange[] = [];
  const foreignKeys: SchemaChange[] = [];
  const indexes: SchemaChange[] = [];
  const drops: SchemaChange[] = [];

  for (const t of declared.tables) {
    const current = liveTables.get(t.name);
    if (current === undefined) {
      create.push({
        description: `create table ${t.name}`,
        destructive: false,
        up: [renderCreateTable(t)],
        down: [`drop table ${q(t.name)};`],
      });
      for (const fk of t.foreignKeys) foreignKeys.push(addForeignKey(t.name, fk));
      for (const i of t.indexes) indexes.push(createIndex(t.name, i));
      continue;
    }
    diffColumns(current, t, alter, drops);
    diffConstraints(current, t, dropConstraints, addConstraints, foreignKeys, indexes);
  }
  for (const t of live.tables) {
    if (declaredTables.has(t.name)) continue;
    // Foreign keys pointing at this table from other dropped/changed tables are dropped earlier.
    drops.push({
      description: `drop table ${t.name}`,
      destructive: true,
      up: [`drop table ${q(t.name)};`],
      down: [renderCreateTable(t), ...t.indexes.map((i) => renderCreateIndex(t.name, i))],
    });
    for (const fk of t.foreignKeys) {
      dropConstraints.push({
        description: `drop foreign key ${t.name}.${fk.name}`,
        destructive: false,
        up: [renderDropConstraint(t.name, fk.name)],
        down: [renderAddForeignKey(t.name, fk)],
      });
    }
  }
  return [...dropConstraints, ...create, ...alter, ...addConstraints, ...foreignKeys, ...indexes, ...drops];
}

function addForeignKey(table: string, fk: TableSnapshot['foreignKeys'][number]): SchemaChange {
  return {
    description: `add foreign key ${table}.${fk.name}`,
    destructive: false,
    up: [renderAddForeignKey(table, fk)],
    down: [renderDropConstraint(table, fk.name)],
  };
}

function createIndex(table: string, i: TableSnapshot['indexes'][number]): SchemaChange {
  return {
    description: `create index ${i.name} on ${table}`,
    destructive: false,
    up: [renderCreateIndex(table, i)],
    down: [renderDropIndex(i.name)],
  };
}

function diffColumns(
  current: TableSnapshot,
  declared: TableSnapshot,
  alter: SchemaChange[],
  drops: SchemaChange[],
): void {
  const liveColumns = byName(current.columns);
  const t = q(declared.name);
  const renamed = new Set<string>();
  for (const c of declared.columns) {
    let live = liveColumns.get(c.name);
    const from = c.renamedFrom;
    if (live === undefined && from !== undefined && liveColumns.has(from)) {
      // Declared as renamed, and the old column is still there: rename it, keeping its data.
      live = liveColumns.get(from);
      renamed.add(from);
      alter.push({
        description: `rename column ${declared.name}.${from} to ${c.name}`,
        destructive: false,
        up: [`alter table ${t} rename column ${q(from)} to ${q(c.name)};`],
        down: [`alter table ${t} rename column ${q(c.name)} to ${q(from)};`],
      });
    }
    if (live === undefined) {
      alter.push(addColumn(declared.name, c));
      continue;
    }
    const col = `${declared.name}.${c.name}`;
    if (live.type !== c.type) {
      alter.push({
        description: `change type of ${col} from ${live.type} to ${c.type}`,
        destructive: true,
        up: [`alter table ${t} alter column ${q(c.name)} type ${c.type} using ${q(c.name)}::${c.type};`],
        down: [
          `alter table ${t} alter column ${q(c.name)} type ${live.type} using ${q(c.name)}::${live.type};`,
        ],
      });
    }
    if (live.nullable !== c.nullable) {
      const setNotNull = `alter table ${t} alter column ${q(c.name)} set not null;`;
      const dropNotNull = `alter table ${t} alter column ${q(c.name)} drop not null;`;
      alter.push({
        description: `${c.nullable ? 'allow' : 'forbid'} null in ${col}`,
        destructive: false,
        up: c.nullable ? [dropNotNull] : [refuseNulls(declared.name, c.name), setNotNull],
        down: [c.nullable ? setNotNull : dropNotNull],
      });
    }
    if (live.identity !== c.identity) {
      const add = `alter table ${t} alter column ${q(c.name)} add generated by default as identity;`;
      const drop = `alter table ${t} alter column ${q(c.name)} drop identity;`;
      alter.push({
        description: `${c.identity ? 'add' : 'drop'} identity on ${col}`,
        destructive: false,
        up: [c.identity ? add : drop],
        down: [c.identity ? drop : add],
      });
    }
    if (
      !c.identity &&
      normalizeDefault(live.defaultSql) !== normalizeDefault(c.canonicalDefault ?? c.defaultSql)
    ) {
      alter.push({
        description: `change default of ${col}`,
        destructive: false,
        up: [setDefault(t, c)],
        down: [setDefault(t, { ...live, name: c.name })],
      });
    }
  }
  const declaredColumns = byName(declared.columns);
  for (const c of current.columns) {
    if (declaredColumns.has(c.name) || renamed.has(c.name)) continue;
    drops.push({
      description: `drop column ${declared.name}.${c.name}`,
      destructive: true,
      up: [`alter table ${t} drop column ${q(c.name)};`],
      // The column comes back empty: a rollback cannot restore dropped data. A NOT NULL column is
      // re-added as nullable so the rollback succeeds on a table that already has rows.
      down: [`alter table ${t} add column ${renderColumn({ ...c, nullable: true })};`],
    });
  }
}

/**
 * Adds a column. A NOT NULL column without a default cannot be added to a table that has rows:
 * the migration checks first and stops with a message saying what to do, before changing anything.
 */
function addColumn(table: string, c: ColumnSnapshot): SchemaChange {
  const t = q(table);
  const needsValues = !c.nullable && c.defaultSql === undefined && !c.identity;
  return {
    description: `add column ${table}.${c.name}`,
    destructive: false,
    up: [
      ...(needsValues ? [refuseNulls(table, c.name, true)] : []),
      `alter table ${t} add column ${renderColumn(c)};`,
    ],
    down: [`alter table ${t} drop column ${q(c.name)};`],
  };
}

/** A guard that stops the migration, with a clear message, when the table has rows that would be null. */
function refuseNulls(table: string, column: string, adding = false): string {
  const condition = adding
    ? `exists (select 1 from ${q(table)})`
    : `exists (select 1 from ${q(table)} where ${q(column)} is null)`;
  const message = adding
    ? `zephyr: cannot add NOT NULL column ${table}.${column} without a default: the table has rows. Declare a default (existing rows get it), or add the column nullable, backfill it, then make it NOT NULL.`
    : `zephyr: cannot make ${table}.${column} NOT NULL: some rows hold NULL. Backfill them first (update ... set ${column} = ... where ${column} is null).`;
  return `do $zephyr$ begin if ${condition} then raise exception '${message.replaceAll("'", "''")}'; end if; end $zephyr$;`;
}

function setDefault(table: string, c: ColumnSnapshot): string {
  return c.defaultSql === undefined
    ? `alter table ${table} alter column ${q(c.name)} drop default;`
    : `alter table ${table} alter column ${q(c.name)} set default ${c.defaultSql};`;
}

function diffConstraints(
  current: TableSnapshot,
  declared: TableSnapshot,
  dropConstraints: SchemaChange[],
  addConstraints: SchemaChange[],
  foreignKeys: SchemaChange[],
  indexes: SchemaChange[],
): void {
  const name = declared.name;
  const keyChanges = (liveKeys: readonly KeyConstraint[], declaredKeys: readonly KeyConstraint[]) => {
    const liveByName = byName(liveKeys);
    const declaredByName = byName(declaredKeys);
    const added = declaredKeys.filter((k) => !sameColumns(liveByName.get(k.name)?.columns ?? [], k.columns));
    const removed = liveKeys.filter(
      (k) => !sameColumns(declaredByName.get(k.name)?.columns ?? [], k.columns),
    );
    return { added, removed };
  };

  const livePk = current.primaryKey;
  const declaredPk = declared.primaryKey;
  if (livePk?.name !== declaredPk?.name || !sameColumns(livePk?.columns ?? [], declaredPk?.columns ?? [])) {
    // Dropped with the other constraints, re-added with them: foreign keys to it come back later.
    if (livePk !== undefined) {
      dropConstraints.push({
        description: `drop primary key ${name}.${livePk.name}`,
        destructive: false,
        up: [renderDropConstraint(name, livePk.name)],
        down: [renderAddPrimaryKey(name, livePk)],
      });
    }
    if (declaredPk !== undefined) {
      addConstraints.push({
        description: `add primary key ${name}.${declaredPk.name}`,
        destructive: false,
        up: [renderAddPrimaryKey(name, declaredPk)],
        down: [renderDropConstraint(name, declaredPk.name)],
      });
    }
  }

  const uniques = keyChanges(current.uniques, declared.uniques);
  for (const u of uniques.removed) {
    dropConstraints.push({
      description: `drop unique ${name}.${u.name}`,
      destructive: false,
      up: [renderDropConstraint(name, u.name)],
      down: [renderAddUnique(name, u)],
    });
  }
  for (const u of uniques.added) {
    addConstraints.push({
      description: `add unique ${name}.${u.name}`,
      destructive: false,
      up: [renderAddUnique(name, u)],
      down: [renderDropConstraint(name, u.name)],
    });
  }

  // Matched by name, then compared by expression: the Migrator first rewrites declared expressions
  // into PostgreSQL's own form (pg_get_constraintdef), so an edited CHECK (or a value added to an
  // enum) is seen, and an unchanged one is not.
  const liveChecks = byName(current.checks);
  const declaredChecks = byName(declared.checks);
  const sameCheck = (a: { expression: string }, b: { expression: string; canonical?: string | undefined }) =>
    normalizeCheck(a.expression) === normalizeCheck(b.canonical ?? b.expression);
  for (const c of current.checks) {
    const d = declaredChecks.get(c.name);
    if (d !== undefined && sameCheck(c, d)) continue;
    dropConstraints.push({
      description: d === undefined ? `drop check ${name}.${c.name}` : `change check ${name}.${c.name}`,
      destructive: false,
      up: [renderDropConstraint(name, c.name)],
      down: [renderAddCheck(name, c)],
    });
  }
  for (const c of declared.checks) {
    const l = liveChecks.get(c.name);
    if (l !== undefined && sameCheck(l, c)) continue;
    addConstraints.push({
      description: `add check ${name}.${c.name}`,
      destructive: false,
      up: [renderAddCheck(name, c)],
      down: [renderDropConstraint(name, c.name)],
    });
  }

  const fkSignature = (fk: TableSnapshot['foreignKeys'][number]) =>
    `${fk.columns.join(',')}>${fk.refTable}(${fk.refColumns.join(',')}) ${fk.onDelete}/${fk.onUpdate}`;
  const liveFks = byName(current.foreignKeys);
  const declaredFks = byName(declared.foreignKeys);
  for (const fk of current.foreignKeys) {
    const d = declaredFks.get(fk.name);
    if (d !== undefined && fkSignature(d) === fkSignature(fk)) continue;
    dropConstraints.push({
      description: `drop foreign key ${name}.${fk.name}`,
      destructive: false,
      up: [renderDropConstraint(name, fk.name)],
      down: [renderAddForeignKey(name, fk)],
    });
  }
  for (const fk of declared.foreignKeys) {
    const l = liveFks.get(fk.name);
    if (l !== undefined && fkSignature(l) === fkSignature(fk)) continue;
    foreignKeys.push(addForeignKey(name, fk));
  }

  const liveIdx = byName(current.indexes);
  const declaredIdx = byName(declared.indexes);
  for (const i of current.indexes) {
    const d = declaredIdx.get(i.name);
    if (d !== undefined && d.unique === i.unique && sameColumns(d.columns, i.columns)) continue;
    dropConstraints.push({
      description: `drop index ${i.name}`,
      destructive: false,
      up: [renderDropIndex(i.name)],
      down: [renderCreateIndex(name, i)],
    });
  }
  for (const i of declared.indexes) {
    const l = liveIdx.get(i.name);
    if (l !== undefined && l.unique === i.unique && sameColumns(l.columns, i.columns)) continue;
    indexes.push(createIndex(name, i));
  }
}

/** Whitespace and redundant outer parentheses do not change a CHECK. */
function normalizeCheck(expression: string): string {
  let e = expression.replace(/\s+/g, ' ').trim();
  while (/^\(.*\)$/.test(e) && balanced(e.slice(1, -1))) e = e.slice(1, -1).trim();
  return e;
}

function balanced(text: string): boolean {
  let depth = 0;
  for (const ch of text) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}
