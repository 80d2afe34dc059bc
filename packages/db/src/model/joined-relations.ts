import { sql } from 'kysely';
import type { ArrayRowMapper } from '../query-compiler/compiled-template.js';
import type { AnyTable } from '../schema/table.js';
import type { ModelContext, ModelRunner, RawRow } from './model-context.js';
import { type CheckedRelation, loadRelations, type RelationSpec, singleKey } from './relation-loader.js';
import type { UntypedSelect } from './untyped-kysely.js';

/**
 * A belongsTo relation loaded in its parent's own statement, by a left join: at most one owner per
 * row, so the join keeps the row count, the limit and the order, and saves a round trip.
 */
export interface JoinedRelation {
  readonly name: string;
  readonly target: AnyTable;
  readonly foreignKey: string;
  readonly targetKey: string;
  /** The joined table's alias: unique per join, so a table may join itself. */
  readonly alias: string;
  /** What to load below the owner, the usual way (one query per relation). */
  readonly nested: RelationSpec | undefined;
}

/** The relations to join (top-level belongsTo) and the rest, loaded by separate queries. */
export function planJoins(
  ctx: ModelContext,
  relations: readonly CheckedRelation[],
): { joined: JoinedRelation[]; rest: CheckedRelation[] } {
  const joined: JoinedRelation[] = [];
  const rest: CheckedRelation[] = [];
  for (const entry of relations) {
    const [name, relation, nested] = entry;
    if (relation.kind !== 'belongsTo') {
      rest.push(entry);
      continue;
    }
    const target = ctx.filters.get(relation.target).table;
    joined.push({
      name,
      target,
      foreignKey: relation.foreignKey,
      targetKey: relation.targetKey ?? singleKey(target),
      alias: `zephyr_j${joined.length}`,
      nested,
    });
  }
  return { joined, rest };
}

/** The shape-key part naming the joins, so each combination compiles once. */
export function joinShape(joined: readonly JoinedRelation[]): string {
  let shape = '|join:';
  for (const j of joined) shape += `${j.name},`;
  return shape;
}

/**
 * Adds the joins and every column of the joined tables to a select of `table` (which lists its own
 * columns first, `baseColumns` of them); returns the query and the mapper that splits its array rows.
 */
export function addJoins(
  query: UntypedSelect,
  table: string,
  baseColumns: readonly string[],
  joined: readonly JoinedRelation[],
): { query: UntypedSelect; rows: ArrayRowMapper } {
  let q = query;
  const parts: JoinPart[] = [];
  let offset = baseColumns.length;
  for (const j of joined) {
    const soft = j.target.softDelete;
    q = q.leftJoin(`${j.target.name} as ${j.alias}`, (join) => {
      const on = join.onRef(`${j.alias}.${j.targetKey}`, '=', `${table}.${j.foreignKey}`);
      return soft === undefined ? on : on.on(sql.ref(`${j.alias}.${soft}`), 'is', null);
    });
    const columns = Object.keys(j.target.columns);
    q = q.select(columns.map((c) => sql.ref(`${j.alias}.${c}`).as(`${j.alias}_${c}`)));
    parts.push({ name: j.name, columns, offset, keyIndex: offset + columns.indexOf(j.targetKey) });
    offset += columns.length;
  }
  return { query: q, rows: new JoinedRows(baseColumns, parts) };
}

/** Loads what was asked below the joined owners (`with: { author: { with: { profile: true } } }`). */
export async function loadBelowJoins(
  ctx: ModelContext,
  runner: ModelRunner,
  rows: readonly RawRow[],
  joined: readonly JoinedRelation[],
): Promise<void> {
  for (const j of joined) {
    if (j.nested === undefined) continue;
    const owners: RawRow[] = [];
    for (const row of rows) {
      const owner = row[j.name];
      if (owner !== null) owners.push(owner as RawRow);
    }
    await loadRelations(ctx, runner, j.target.name, owners, j.nested);
  }
}

interface JoinPart {
  readonly name: string;
  readonly columns: readonly string[];
  /** Where the joined table's columns start in a row. */
  readonly offset: number;
  /** Where its key is: NULL there means no owner (no match, or a soft-deleted one). */
  readonly keyIndex: number;
}

/**
 * An object with these keys, each `null`: rows start as a copy of it, so every row has its final
 * shape from the start and the assignments only overwrite (node-postgres builds its rows the same way).
 */
function emptyObject(keys: readonly string[]): RawRow {
  const empty: RawRow = {};
  for (const k of keys) empty[k] = null;
  return empty;
}

/** Splits array rows into the row's own columns and one object (or null) per joined relation. */
class JoinedRows implements ArrayRowMapper {
  readonly #base: readonly string[];
  readonly #parts: readonly JoinPart[];
  readonly #emptyRow: RawRow;
  /** Per part, the empty owner object. */
  readonly #emptyOwners: readonly RawRow[];

  constructor(base: readonly string[], parts: readonly JoinPart[]) {
    this.#base = base;
    this.#parts = parts;
    this.#emptyRow = emptyObject([...base, ...parts.map((p) => p.name)]);
    this.#emptyOwners = parts.map((p) => emptyObject(p.columns));
  }

  map(rows: readonly (readonly unknown[])[]): RawRow[] {
    const base = this.#base;
    const parts = this.#parts;
    const emptyRow = this.#emptyRow;
    const out: RawRow[] = new Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const values = rows[r] as readonly unknown[];
      const row: RawRow = { ...emptyRow };
      for (let i = 0; i < base.length; i++) row[base[i] as string] = values[i];
      for (let p = 0; p < parts.length; p++) {
        const part = parts[p] as JoinPart;
        if (values[part.keyIndex] === null) {
          row[part.name] = null;
          continue;
        }
        const owner: RawRow = { ...this.#emptyOwners[p] };
        const columns = part.columns;
        for (let i = 0; i < columns.length; i++) owner[columns[i] as string] = values[part.offset + i];
        row[part.name] = owner;
      }
      out[r] = row;
    }
    return out;
  }
}
