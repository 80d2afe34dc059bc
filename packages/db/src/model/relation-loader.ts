import { sql } from 'kysely';
import { InvalidQueryError } from '../errors/validation-error.js';
import { CompiledTemplate, ParameterSlot } from '../query-compiler/compiled-template.js';
import type { Relation } from '../schema/relation.js';
import type { AnyTable } from '../schema/table.js';
import type { ModelContext, ModelRunner, RawRow } from './model-context.js';

const OWNER = '__zephyr_owner';

/** What to load: `{ posts: true, author: { with: { profile: true } } }`. */
export type RelationSpec = Readonly<Record<string, boolean | { readonly with?: RelationSpec } | undefined>>;

function tableOf(ctx: ModelContext, name: string): AnyTable {
  const t = ctx.schema.tables[name];
  if (t === undefined) throw new InvalidQueryError(`unknown table "${name}"`);
  return t;
}

export function singleKey(table: AnyTable): string {
  const [key, ...rest] = table.primaryKey.columns;
  if (key === undefined || rest.length > 0) {
    throw new InvalidQueryError(
      `relation to "${table.name}" needs an explicit key: its primary key is composite`,
    );
  }
  return key;
}

/**
 * Loads the requested relations onto `rows`: one query per relation (and per nested level), whatever
 * the number of rows, since keys are sent together as one array parameter (`= any($1)`).
 */
export async function loadRelations(
  ctx: ModelContext,
  runner: ModelRunner,
  tableName: string,
  rows: RawRow[],
  spec: RelationSpec | undefined,
): Promise<void> {
  if (spec === undefined) return;
  await loadCheckedRelations(ctx, runner, tableName, rows, checkWith(ctx, tableName, spec));
}

/** {@link loadRelations} for a spec {@link checkWith} has already checked. */
export async function loadCheckedRelations(
  ctx: ModelContext,
  runner: ModelRunner,
  tableName: string,
  rows: RawRow[],
  relations: readonly CheckedRelation[],
): Promise<void> {
  if (rows.length === 0) return;
  for (const [name, relation, nested] of relations) {
    await loadOne(ctx, runner, tableName, name, relation, rows, nested);
  }
}

/** One entry of a checked `with` spec: the relation's name, the relation, and what to load below it. */
export type CheckedRelation = [name: string, relation: Relation, nested: RelationSpec | undefined];

/**
 * Validates a `with` spec, nested levels included, before any query runs (also when there are no
 * rows to load relations for): unknown relations and odd values are an `InvalidQueryError`.
 */
export function checkWith(ctx: ModelContext, tableName: string, spec: unknown): CheckedRelation[] {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    throw new InvalidQueryError('"with" must be an object of relation names');
  const relations = ctx.filters.get(tableName).relations;
  const result: CheckedRelation[] = [];
  for (const [name, option] of Object.entries(spec)) {
    if (option === undefined || option === false) continue;
    // A Map: a key such as `constructor` finds nothing.
    const relation = relations.get(name);
    if (relation === undefined) throw new InvalidQueryError(`table "${tableName}" has no relation "${name}"`);
    if (option !== true && (typeof option !== 'object' || option === null || Array.isArray(option)))
      throw new InvalidQueryError(`"with.${name}" must be true or { with: ... }`);
    const nested = option === true ? undefined : (option as { with?: RelationSpec }).with;
    if (nested !== undefined) checkWith(ctx, relation.target, nested);
    result.push([name, relation, nested]);
  }
  return result;
}

async function loadOne(
  ctx: ModelContext,
  runner: ModelRunner,
  tableName: string,
  name: string,
  relation: Relation,
  rows: RawRow[],
  nested: RelationSpec | undefined,
): Promise<void> {
  const source = tableOf(ctx, tableName);
  const target = tableOf(ctx, relation.target);
  const targetPk = target.primaryKey.columns;
  const db = ctx.runner.kysely;
  const shape = `rel:${tableName}.${name}`;

  if (relation.kind === 'belongsTo') {
    const targetKey = relation.targetKey ?? singleKey(target);
    const keys = distinct(rows.map((r) => r[relation.foreignKey]));
    const found =
      keys.length === 0
        ? []
        : await run(ctx, runner, shape, keys, () =>
            db
              .selectFrom(target.name)
              .selectAll()
              .where(sql<boolean>`${sql.ref(targetKey)} = any(${new ParameterSlot(0)})`)
              .$if(target.softDelete !== undefined, (q) =>
                q.where(sql.ref(`${target.softDelete}`), 'is', null),
              )
              .compile(),
          );
    await loadRelations(ctx, runner, target.name, found, nested);
    const byKey = new Map(found.map((r) => [r[targetKey], r]));
    for (const row of rows) row[name] = byKey.get(row[relation.foreignKey]) ?? null;
    return;
  }

  const sourceKey = relation.sourceKey ?? singleKey(source);
  const keys = distinct(rows.map((r) => r[sourceKey]));
  let children: RawRow[] = [];
  let ownerOf: (row: RawRow) => unknown;
  if (relation.kind === 'hasMany' || relation.kind === 'hasOne') {
    children =
      keys.length === 0
        ? []
        : await run(ctx, runner, shape, keys, () =>
            db
              .selectFrom(target.name)
              .selectAll()
              .where(sql<boolean>`${sql.ref(relation.foreignKey)} = any(${new ParameterSlot(0)})`)
              .$if(target.softDelete !== undefined, (q) =>
                q.where(sql.ref(`${target.softDelete}`), 'is', null),
              )
              .$call((q) => targetPk.reduce((acc, c) => acc.orderBy(sql.ref(c)), q))
              .compile(),
          );
    ownerOf = (r) => r[relation.foreignKey];
  } else {
    const targetKey = relation.targetKey ?? singleKey(target);
    const linked =
      keys.length === 0
        ? []
        : await run(ctx, runner, shape, keys, () =>
            db
              .selectFrom(target.name)
              .innerJoin(
                relation.through,
                `${relation.through}.${relation.targetForeignKey}`,
                `${target.name}.${targetKey}`,
              )
              .selectAll(target.name)
              .select(sql.ref(`${relation.through}.${relation.sourceForeignKey}`).as(OWNER))
              .where(
                sql<boolean>`${sql.ref(`${relation.through}.${relation.sourceForeignKey}`)} = any(${new ParameterSlot(0)})`,
              )
              .$if(target.softDelete !== undefined, (q) =>
                q.where(sql.ref(`${target.name}.${target.softDelete}`), 'is', null),
              )
              .$call((q) => targetPk.reduce((acc, c) => acc.orderBy(sql.ref(`${target.name}.${c}`)), q))
              .compile(),
          );
    const owners = new Map<RawRow, unknown>();
    children = linked.map(({ [OWNER]: owner, ...row }) => {
      owners.set(row, owner);
      return row;
    });
    ownerOf = (r) => owners.get(r);
  }
  await loadRelations(ctx, runner, target.name, children, nested);
  const groups = new Map<unknown, RawRow[]>();
  for (const child of children) {
    const owner = ownerOf(child);
    const group = groups.get(owner);
    if (group === undefined) groups.set(owner, [child]);
    else group.push(child);
  }
  if (relation.kind === 'hasOne') {
    for (const row of rows) row[name] = groups.get(row[sourceKey])?.[0] ?? null;
  } else {
    for (const row of rows) row[name] = groups.get(row[sourceKey]) ?? [];
  }
}

async function run(
  ctx: ModelContext,
  runner: ModelRunner,
  shape: string,
  keys: unknown[],
  build: () => import('kysely').CompiledQuery,
): Promise<RawRow[]> {
  const template = ctx.templates.get(shape, () => new CompiledTemplate(build()));
  const result = await runner.execute(template.bind([keys]));
  return result.rows as RawRow[];
}

function distinct(values: unknown[]): unknown[] {
  const set = new Set<unknown>();
  for (const v of values) if (v !== null && v !== undefined) set.add(v);
  return [...set];
}
