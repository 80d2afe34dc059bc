import { renderLiteral } from '../schema/column.js';
import type { AnySchema } from '../schema/schema.js';
import type {
  CheckConstraint,
  ForeignKeyConstraint,
  IndexDefinition,
  KeyConstraint,
} from '../schema/table.js';

/** One column as both the declared schema and the live database describe it. */
export interface ColumnSnapshot {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
  readonly defaultSql: string | undefined;
  readonly identity: boolean;
  /** Declared only: the column's previous name, to rename rather than drop and add. */
  readonly renamedFrom?: string | undefined;
  /** Declared only: the default as PostgreSQL stores it, for comparison (the DDL keeps `defaultSql`). */
  readonly canonicalDefault?: string | undefined;
}

/** One table's structure, comparable between declared and live. */
export interface TableSnapshot {
  readonly name: string;
  readonly columns: readonly ColumnSnapshot[];
  readonly primaryKey: KeyConstraint | undefined;
  readonly uniques: readonly KeyConstraint[];
  readonly foreignKeys: readonly ForeignKeyConstraint[];
  /** `canonical`, declared only: the expression as PostgreSQL stores it, for comparison. */
  readonly checks: readonly (Omit<CheckConstraint, 'columns'> & {
    readonly canonical?: string | undefined;
  })[];
  readonly indexes: readonly IndexDefinition[];
}

/** A whole schema's structure: what the differ compares. */
export interface SchemaSnapshot {
  readonly tables: readonly TableSnapshot[];
}

/** The snapshot the declared schema describes. */
export function snapshotFromSchema(schema: AnySchema): SchemaSnapshot {
  return {
    tables: Object.values(schema.tables).map((t) => ({
      name: t.name,
      columns: Object.entries(t.columns).map(([name, c]) => ({
        name,
        type: c.definition.sqlType,
        nullable: c.definition.nullable && !t.primaryKey.columns.includes(name),
        defaultSql: c.definition.defaultSql,
        identity: c.definition.identity,
        renamedFrom: c.definition.renamedFrom,
      })),
      primaryKey: t.primaryKey,
      uniques: t.uniques,
      foreignKeys: t.foreignKeys,
      checks: t.checks.map(({ name, expression }) => ({ name, expression })),
      indexes: t.indexes,
    })),
  };
}

/**
 * Normalises a default expression so the declared form (`'draft'`) and PostgreSQL's stored form
 * (`'draft'::text`) compare equal.
 */
export function normalizeDefault(expression: string | undefined): string | undefined {
  if (expression === undefined) return undefined;
  let e = expression.trim();
  for (;;) {
    const stripped = e.replace(/::[a-z_ ]+(\(\d+(,\s*\d+)?\))?(\[\])?$/i, '').trim();
    const unwrapped = /^\((.*)\)$/.test(stripped) ? stripped.slice(1, -1).trim() : stripped;
    if (unwrapped === e) break;
    e = unwrapped;
  }
  const quotedNumber = /^'(-?\d+(\.\d+)?)'$/.exec(e);
  if (quotedNumber?.[1] !== undefined) return quotedNumber[1];
  if (/^current_timestamp$/i.test(e)) return 'now()';
  return e === renderLiteral(null) ? undefined : e;
}
