import { CompiledQuery } from 'kysely';
import type { UntypedKysely } from '../model/untyped-kysely.js';
import { q } from './render-ddl.js';
import type { SchemaSnapshot, TableSnapshot } from './schema-snapshot.js';

const SCRATCH = 'zephyr_canonical_scratch';

/**
 * The declared snapshot with its defaults and CHECK expressions rewritten the way PostgreSQL
 * stores them (`pg_get_expr`, `pg_get_constraintdef`), so the differ compares like with like: a
 * jsonb object or timestamp default no longer shows up as a change forever, and an edited CHECK
 * (an enum's value list included) does show up. Each table is recreated as a temporary scratch
 * table, on one session, and dropped again.
 */
export async function canonicalSnapshot(
  kysely: UntypedKysely,
  declared: SchemaSnapshot,
): Promise<SchemaSnapshot> {
  return kysely.connection().execute(async (conn) => {
    const run = <R>(text: string) => conn.executeQuery<R>(CompiledQuery.raw(text));
    const tables: TableSnapshot[] = [];
    for (const t of declared.tables) {
      await run(`drop table if exists pg_temp.${SCRATCH}`);
      const columns = t.columns.map(
        (c) =>
          `${q(c.name)} ${c.type}${c.defaultSql !== undefined && !c.identity ? ` default ${c.defaultSql}` : ''}`,
      );
      await run(`create temp table ${SCRATCH} (${columns.join(', ')})`);
      try {
        for (const c of t.checks) {
          await run(`alter table pg_temp.${SCRATCH} add constraint ${q(c.name)} check (${c.expression})`);
        }
        const defaults = await run<{ name: string; expression: string | null }>(
          `select a.attname as name, pg_get_expr(d.adbin, d.adrelid) as expression
           from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
           where a.attrelid = 'pg_temp.${SCRATCH}'::regclass and a.attnum > 0 and not a.attisdropped`,
        );
        const checks = await run<{ name: string; definition: string }>(
          `select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint
           where conrelid = 'pg_temp.${SCRATCH}'::regclass and contype = 'c'`,
        );
        const defaultOf = new Map(defaults.rows.map((r) => [r.name, r.expression ?? undefined]));
        const checkOf = new Map(
          checks.rows.map((r) => [r.name, r.definition.replace(/^CHECK\s*\((.*)\)$/s, '$1')]),
        );
        tables.push({
          ...t,
          columns: t.columns.map((c) =>
            c.identity || c.defaultSql === undefined ? c : { ...c, canonicalDefault: defaultOf.get(c.name) },
          ),
          checks: t.checks.map((c) => ({ ...c, canonical: checkOf.get(c.name) })),
        });
      } finally {
        await run(`drop table if exists pg_temp.${SCRATCH}`);
      }
    }
    return { tables };
  });
}
