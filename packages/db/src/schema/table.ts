import { z } from 'zod';
import { DatabaseArgumentError } from '../errors/zephyr-db-error.js';
import type { ReferentialAction } from './column.js';
import type { ColumnMap, InsertRow, SelectRow, UpdateRow } from './row-types.js';

/** A named constraint over one or more columns (primary key, unique). */
export interface KeyConstraint {
  readonly name: string;
  readonly columns: readonly string[];
}

/** A foreign key, normalised whether declared on a column or on the table. */
export interface ForeignKeyConstraint extends KeyConstraint {
  readonly refTable: string;
  readonly refColumns: readonly string[];
  readonly onDelete: ReferentialAction;
  readonly onUpdate: ReferentialAction;
}

/** A CHECK constraint with its SQL expression. */
export interface CheckConstraint {
  readonly name: string;
  readonly expression: string;
  /** The columns it was declared on (for error messages); empty for table-level checks. */
  readonly columns: readonly string[];
}

/** An index (unique or not) over columns. */
export interface IndexDefinition extends KeyConstraint {
  readonly unique: boolean;
}

/** Table-level options of {@link table}: composite keys, multi-column unique/indexes, table checks. */
export interface TableOptions<Cols extends ColumnMap> {
  /** Composite primary key; use `column.primaryKey()` for a single-column key. */
  readonly primaryKey?: readonly (keyof Cols & string)[];
  readonly unique?: readonly { readonly columns: readonly (keyof Cols & string)[]; readonly name?: string }[];
  readonly indexes?: readonly {
    readonly columns: readonly (keyof Cols & string)[];
    readonly name?: string;
    readonly unique?: boolean;
  }[];
  /** Table-level CHECK constraints (SQL written by the developer, never user input). */
  readonly checks?: readonly { readonly name: string; readonly expression: string }[];
  /**
   * Soft delete, an opt-in convention: the table needs a nullable `deleted_at` timestamp column;
   * `delete` then sets it instead of removing rows, reads skip rows that have it (unless
   * `withDeleted: true`), `restore` clears it and `hardDelete` really deletes.
   */
  readonly softDelete?: boolean;
}

/** The three zod schemas derived from a table: validate route bodies with the table's own schema. */
export interface TableSchemas<Cols extends ColumnMap> {
  /** A full row as read from the database. */
  readonly select: z.ZodType<SelectRow<Cols>>;
  /** An insert body: strict (unknown keys rejected), defaulted and nullable columns optional. */
  readonly insert: z.ZodType<InsertRow<Cols>, unknown>;
  /** An update patch: strict, every column optional. */
  readonly update: z.ZodType<UpdateRow<Cols>, unknown>;
}

/** A table declared in code: name, columns, constraints and zod schemas, all computed once. */
export interface Table<Name extends string = string, Cols extends ColumnMap = ColumnMap> {
  readonly name: Name;
  readonly columns: Cols;
  readonly primaryKey: KeyConstraint;
  readonly uniques: readonly KeyConstraint[];
  readonly foreignKeys: readonly ForeignKeyConstraint[];
  readonly checks: readonly CheckConstraint[];
  readonly indexes: readonly IndexDefinition[];
  readonly schemas: TableSchemas<Cols>;
  /** The soft-delete column (`deleted_at`) when the table opted in, else `undefined`. */
  readonly softDelete: string | undefined;
}

/** Any table. */
export type AnyTable = Table<string, ColumnMap>;

/** The column soft-deleted tables mark deleted rows in. */
export const SOFT_DELETE_COLUMN = 'deleted_at';

const IDENTIFIER = /^[a-z_][a-z0-9_$]*$/;

function assertIdentifier(kind: string, name: string): void {
  // Lower-case unquoted identifiers keep declared and introspected names identical.
  if (!IDENTIFIER.test(name) || name.length > 63) {
    throw new DatabaseArgumentError(
      `${kind} name "${name}" must match ${IDENTIFIER} and be at most 63 characters`,
    );
  }
}

/**
 * Declares a table. The column keys are the SQL column names (snake_case recommended).
 *
 * @example
 * ```ts
 * const users = table('users', {
 *   id: column.serial().primaryKey(),
 *   email: column.varchar(255).unique(),
 *   name: column.text().nullable(),
 *   ...timestamps(),
 * });
 * const body = users.schemas.insert.parse(await request.json());
 * ```
 */
export function table<const Name extends string, const Cols extends ColumnMap>(
  name: Name,
  columns: Cols,
  options: TableOptions<Cols> = {},
): Table<Name, Cols> {
  assertIdentifier('table', name);
  const entries = Object.entries(columns);
  if (entries.length === 0) throw new DatabaseArgumentError(`table "${name}" has no columns`);
  for (const [col, c] of entries) {
    assertIdentifier('column', col);
    const from = c.definition.renamedFrom;
    if (from !== undefined) {
      assertIdentifier('column', from);
      if (Object.hasOwn(columns, from))
        throw new DatabaseArgumentError(
          `table "${name}": "${col}" is renamed from "${from}", which is still declared`,
        );
    }
  }

  const pkColumns = options.primaryKey ?? entries.filter(([, c]) => c.definition.primaryKey).map(([n]) => n);
  if (pkColumns.length === 0) throw new DatabaseArgumentError(`table "${name}" needs a primary key`);
  const primaryKey = { name: `${name}_pkey`, columns: [...pkColumns] };

  const uniques: KeyConstraint[] = [];
  const foreignKeys: ForeignKeyConstraint[] = [];
  const checks: CheckConstraint[] = [];
  const indexes: IndexDefinition[] = [];
  for (const [col, c] of entries) {
    const d = c.definition;
    if (d.unique !== false)
      uniques.push({ name: d.unique === true ? `${name}_${col}_key` : d.unique, columns: [col] });
    if (d.references !== undefined) {
      foreignKeys.push({
        name: d.references.name ?? `${name}_${col}_fkey`,
        columns: [col],
        refTable: d.references.table,
        refColumns: [d.references.column],
        onDelete: d.references.onDelete,
        onUpdate: d.references.onUpdate,
      });
    }
    if (d.check !== undefined) {
      checks.push({
        name: d.check.name ?? `${name}_${col}_check`,
        expression: d.check.expression(`"${col}"`),
        columns: [col],
      });
    }
    if (d.index !== false) {
      indexes.push({
        name: d.index === true ? `${name}_${col}_idx` : d.index,
        columns: [col],
        unique: false,
      });
    }
  }
  for (const u of options.unique ?? []) {
    uniques.push({ name: u.name ?? `${name}_${u.columns.join('_')}_key`, columns: [...u.columns] });
  }
  for (const i of options.indexes ?? []) {
    indexes.push({
      name: i.name ?? `${name}_${i.columns.join('_')}_idx`,
      columns: [...i.columns],
      unique: i.unique ?? false,
    });
  }
  for (const ch of options.checks ?? [])
    checks.push({ name: ch.name, expression: ch.expression, columns: [] });
  for (const constraint of [primaryKey, ...uniques, ...foreignKeys, ...checks, ...indexes]) {
    assertIdentifier('constraint/index', constraint.name);
  }

  let softDelete: string | undefined;
  if (options.softDelete === true) {
    const d = columns[SOFT_DELETE_COLUMN]?.definition;
    if (d === undefined || !d.nullable || d.sqlType !== 'timestamp(3) with time zone') {
      throw new DatabaseArgumentError(
        `table "${name}" uses softDelete: it needs ${SOFT_DELETE_COLUMN}: column.timestamp().nullable()`,
      );
    }
    softDelete = SOFT_DELETE_COLUMN;
  } else if (options.softDelete !== undefined && options.softDelete !== false) {
    throw new DatabaseArgumentError(`table "${name}": softDelete must be a boolean`);
  }

  return {
    name,
    columns,
    primaryKey,
    softDelete,
    uniques,
    foreignKeys,
    checks,
    indexes,
    schemas: buildSchemas(columns),
  };
}

function buildSchemas<Cols extends ColumnMap>(columns: Cols): TableSchemas<Cols> {
  const select: Record<string, z.ZodType> = {};
  const insert: Record<string, z.ZodType> = {};
  const update: Record<string, z.ZodType> = {};
  for (const [name, c] of Object.entries(columns)) {
    const d = c.definition;
    select[name] = d.nullable ? c.valueSchema.nullable() : c.valueSchema;
    const input = d.nullable ? c.inputSchema.nullable() : c.inputSchema;
    insert[name] = d.nullable || d.defaultSql !== undefined || d.identity ? input.optional() : input;
    update[name] = input.optional();
  }
  return {
    select: z.object(select) as unknown as z.ZodType<SelectRow<Cols>>,
    insert: z.strictObject(insert) as unknown as z.ZodType<InsertRow<Cols>, unknown>,
    update: z.strictObject(update) as unknown as z.ZodType<UpdateRow<Cols>, unknown>,
  };
}
