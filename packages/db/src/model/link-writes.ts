import { sql } from 'kysely';
import { InvalidQueryError } from '../errors/validation-error.js';
import { CompiledTemplate, ParameterSlot } from '../query-compiler/compiled-template.js';
import type { ManyToManyRelation } from '../schema/relation.js';
import type { TableFilter } from './filter-tables.js';
import type { FilterValueCodec } from './filter-value.js';
import type { ModelContext } from './model-context.js';

/** A many-to-many write's arguments, checked: the relation, the source key, the target keys. */
function linkArgs(
  ctx: ModelContext,
  t: TableFilter,
  key: unknown,
  relationName: string,
  targets: readonly unknown[],
): { rel: ManyToManyRelation; source: unknown; keys: unknown[]; targetType: string } {
  const rel = t.relations.get(relationName);
  if (rel?.kind !== 'manyToMany')
    throw new InvalidQueryError(`"${relationName}" is not a many-to-many relation of "${t.table.name}"`);
  if (!Array.isArray(targets))
    throw new InvalidQueryError(`${relationName}: targets must be an array of keys`);
  const [onlyKey, ...rest] = t.table.primaryKey.columns;
  const sourceColumn = rel.sourceKey ?? (rest.length === 0 ? onlyKey : undefined);
  const target = ctx.filters.get(rel.target);
  const targetColumn = rel.targetKey ?? target.table.primaryKey.columns[0];
  if (sourceColumn === undefined || targetColumn === undefined)
    throw new InvalidQueryError(`relation "${relationName}" needs explicit keys: a primary key is composite`);
  if (key === undefined || key === null || typeof key === 'object')
    throw new InvalidQueryError(`key of "${t.table.name}" must be a single value`);
  const source = (t.codecs.get(sourceColumn) as FilterValueCodec)(key, sourceColumn);
  const codec = target.codecs.get(targetColumn) as FilterValueCodec;
  const keys = [...new Set(targets)].map((k) => codec(k, targetColumn));
  const targetType = target.table.columns[targetColumn]?.definition.sqlType ?? 'text';
  return { rel, source, keys, targetType };
}

/** Inserts the missing join rows (`on conflict do nothing`); returns how many were added. */
export async function connectLinks(
  ctx: ModelContext,
  t: TableFilter,
  key: unknown,
  relationName: string,
  targets: readonly unknown[],
): Promise<number> {
  const { rel, source, keys, targetType } = linkArgs(ctx, t, key, relationName, targets);
  if (keys.length === 0) return 0;
  const template = ctx.templates.get(
    `${t.table.name}:connect:${relationName}`,
    () =>
      new CompiledTemplate(
        ctx.runner.kysely
          .insertInto(rel.through)
          .columns([rel.sourceForeignKey, rel.targetForeignKey])
          .expression(
            sql`select ${new ParameterSlot(0)}, t from unnest(${new ParameterSlot(1)}::${sql.raw(targetType)}[]) as t`,
          )
          .onConflict((oc) => oc.doNothing())
          .returning(sql.lit(1).as('one'))
          .compile(),
      ),
  );
  const result = await ctx.runner.execute(template.bind([source, keys]));
  return result.rows.length;
}

/** Deletes the join rows to the given targets; returns how many were removed. */
export async function disconnectLinks(
  ctx: ModelContext,
  t: TableFilter,
  key: unknown,
  relationName: string,
  targets: readonly unknown[],
): Promise<number> {
  const { rel, source, keys } = linkArgs(ctx, t, key, relationName, targets);
  if (keys.length === 0) return 0;
  const template = ctx.templates.get(
    `${t.table.name}:disconnect:${relationName}`,
    () =>
      new CompiledTemplate(
        ctx.runner.kysely
          .deleteFrom(rel.through)
          .where(sql.ref(rel.sourceForeignKey), '=', new ParameterSlot(0))
          .where(sql<boolean>`${sql.ref(rel.targetForeignKey)} = any(${new ParameterSlot(1)})`)
          .compile(),
      ),
  );
  const result = await ctx.runner.execute(template.bind([source, keys]));
  return Number(result.numAffectedRows ?? 0n);
}
