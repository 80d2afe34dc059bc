import { type Kysely, sql } from 'kysely';
import { DatabaseArgumentError } from '../errors/zephyr-db-error.js';
import type { UntypedKysely } from '../model/untyped-kysely.js';
import type { ReferentialAction } from '../schema/column.js';
import type { ColumnSnapshot, SchemaSnapshot, TableSnapshot } from './schema-snapshot.js';

/** Name of the migration history table; never part of a diff. */
export const HISTORY_TABLE = 'zephyr_migrations';

const ACTIONS: Record<string, ReferentialAction> = {
  a: 'no action',
  r: 'restrict',
  c: 'cascade',
  n: 'set null',
  d: 'set default',
};

interface ColumnRow {
  table_name: string;
  column_name: string;
  type: string;
  nullable: boolean;
  default_sql: string | null;
  identity: boolean;
}
interface ConstraintRow {
  table_name: string;
  name: string;
  type: string;
  columns: string[];
  ref_table: string | null;
  ref_columns: string[] | null;
  on_delete: string;
  on_update: string;
  definition: string;
}
interface IndexRow {
  table_name: string;
  name: string;
  unique: boolean;
  columns: string[];
}

/**
 * Reads the structure of the current schema (`current_schema()`) from the PostgreSQL catalogue.
 * The same queries run on PostgreSQL and PGlite.
 */
export async function introspectDatabase<DB>(kysely: Kysely<DB>): Promise<SchemaSnapshot> {
  // Raw catalogue SQL only: the database's own table types play no part.
  const db = kysely as unknown as UntypedKysely;
  const current = await sql<{ name: string | null }>`select current_schema() as name`.execute(db);
  const name = current.rows[0]?.name ?? null;
  // With no usable schema on the search_path, current_schema() falls back to the system catalogue,
  // which a diff would then offer to drop: refuse instead.
  if (name === null || name === 'pg_catalog' || name === 'information_schema' || name.startsWith('pg_')) {
    throw new DatabaseArgumentError(
      `refusing to introspect system schema "${name}": set a search_path with a user schema`,
    );
  }
  const columns = await sql<ColumnRow>`
    select c.relname as table_name, a.attname as column_name,
           format_type(a.atttypid, a.atttypmod) as type, not a.attnotnull as nullable,
           pg_get_expr(d.adbin, d.adrelid) as default_sql, a.attidentity <> '' as identity
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where n.nspname = current_schema() and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
      and c.relname <> ${HISTORY_TABLE}
    order by c.relname, a.attnum`.execute(db);
  const constraints = await sql<ConstraintRow>`
    select c.relname as table_name, con.conname as name, con.contype::text as type,
      array(select att.attname::text from unnest(con.conkey) with ordinality k(n, ord)
            join pg_attribute att on att.attrelid = con.conrelid and att.attnum = k.n order by k.ord) as columns,
      rc.relname::text as ref_table,
      array(select att.attname::text from unnest(con.confkey) with ordinality k(n, ord)
            join pg_attribute att on att.attrelid = con.confrelid and att.attnum = k.n order by k.ord) as ref_columns,
      con.confdeltype::text as on_delete, con.confupdtype::text as on_update,
      pg_get_constraintdef(con.oid) as definition
    from pg_constraint con
    join pg_class c on c.oid = con.conrelid
    join pg_namespace n on n.oid = c.relnamespace
    left join pg_class rc on rc.oid = con.confrelid
    where n.nspname = current_schema() and con.contype in ('p', 'u', 'f', 'c') and c.relname <> ${HISTORY_TABLE}
    order by c.relname, con.conname`.execute(db);
  const indexes = await sql<IndexRow>`
    select t.relname as table_name, i.relname as name, ix.indisunique as unique,
      array(select a.attname::text from unnest(ix.indkey::int2[]) with ordinality k(n, ord)
            join pg_attribute a on a.attrelid = t.oid and a.attnum = k.n order by k.ord) as columns
    from pg_index ix
    join pg_class i on i.oid = ix.indexrelid
    join pg_class t on t.oid = ix.indrelid
    join pg_namespace n on n.oid = t.relnamespace
    where n.nspname = current_schema() and t.relname <> ${HISTORY_TABLE}
      and not exists (select 1 from pg_constraint con where con.conindid = ix.indexrelid and con.contype in ('p', 'u'))
    order by t.relname, i.relname`.execute(db);

  const tables = new Map<string, { columns: ColumnSnapshot[]; rows: ConstraintRow[]; indexes: IndexRow[] }>();
  const entry = (name: string) => {
    let t = tables.get(name);
    if (t === undefined) {
      t = { columns: [], rows: [], indexes: [] };
      tables.set(name, t);
    }
    return t;
  };
  for (const c of columns.rows) {
    entry(c.table_name).columns.push({
      name: c.column_name,
      type: c.type,
      nullable: c.nullable,
      defaultSql: c.default_sql ?? undefined,
      identity: c.identity,
    });
  }
  for (const c of constraints.rows) entry(c.table_name).rows.push(c);
  for (const i of indexes.rows) entry(i.table_name).indexes.push(i);

  const result: TableSnapshot[] = [];
  for (const [name, t] of tables) {
    const pk = t.rows.find((r) => r.type === 'p');
    result.push({
      name,
      columns: t.columns,
      primaryKey: pk === undefined ? undefined : { name: pk.name, columns: pk.columns },
      uniques: t.rows.filter((r) => r.type === 'u').map((r) => ({ name: r.name, columns: r.columns })),
      foreignKeys: t.rows
        .filter((r) => r.type === 'f')
        .map((r) => ({
          name: r.name,
          columns: r.columns,
          refTable: r.ref_table ?? '',
          refColumns: r.ref_columns ?? [],
          onDelete: ACTIONS[r.on_delete] ?? 'no action',
          onUpdate: ACTIONS[r.on_update] ?? 'no action',
        })),
      checks: t.rows
        .filter((r) => r.type === 'c')
        .map((r) => ({ name: r.name, expression: r.definition.replace(/^CHECK\s*\((.*)\)$/s, '$1') })),
      indexes: t.indexes.map((i) => ({ name: i.name, columns: i.columns, unique: i.unique })),
    });
  }
  return { tables: result };
}
