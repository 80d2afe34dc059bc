import { InvalidQueryError } from '../errors/validation-error.js';
import type { Relation } from '../schema/relation.js';
import type { AnySchema } from '../schema/schema.js';
import type { AnyTable } from '../schema/table.js';
import { codecFor, type FilterValueCodec } from './filter-value.js';

/** What filtering needs to know of one table, computed once per schema. */
export interface TableFilter {
  readonly table: AnyTable;
  /** Column name → value check; a Map, so keys such as `constructor` find nothing. */
  readonly codecs: ReadonlyMap<string, FilterValueCodec>;
  readonly relations: ReadonlyMap<string, Relation>;
}

/** The {@link TableFilter} of every table of a schema, built once and shared by all models. */
export class FilterTables {
  readonly #byName = new Map<string, TableFilter>();

  constructor(schema: AnySchema) {
    const relations = schema.relations as Record<string, Record<string, Relation> | undefined>;
    for (const [name, table] of Object.entries(schema.tables)) {
      this.#byName.set(name, {
        table,
        codecs: new Map(Object.entries(table.columns).map(([c, col]) => [c, codecFor(col)])),
        relations: new Map(Object.entries(relations[name] ?? {})),
      });
    }
  }

  get(name: string): TableFilter {
    const t = this.#byName.get(name);
    if (t === undefined) throw new InvalidQueryError(`unknown table "${name}"`);
    return t;
  }
}
