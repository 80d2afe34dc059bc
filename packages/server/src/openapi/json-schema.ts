import { z } from 'zod';

/** A JSON Schema (2020-12, the dialect of OpenAPI 3.1) as a plain object. */
export type JsonSchema = { [key: string]: unknown };

/**
 * Converts zod schemas to JSON Schema for one OpenAPI document. Definitions a schema shares or
 * recurses through (zod's `$defs`) move to `components.schemas`, and their `$ref`s follow: inside
 * an OpenAPI document `#/$defs/…` would point at the document's root, not the schema's.
 */
export class SchemaCollector {
  /** What goes in `components.schemas`. */
  readonly components: Record<string, JsonSchema> = {};

  /** The JSON Schema of `schema` as a request part (`input`) or a response (`output`). */
  convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const json = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
      cycles: 'ref',
      reused: 'inline',
    }) as JsonSchema;
    delete json.$schema;
    const defs = (json.$defs ?? {}) as Record<string, JsonSchema>;
    delete json.$defs;
    const renamed = new Map<string, string>();
    for (const name of Object.keys(defs)) renamed.set(`#/$defs/${name}`, this.#reserve(name));
    // A schema that recurses through its root refers to `#`: it becomes a component of its own.
    const rootRefs = containsRef(json, '#') || Object.values(defs).some((d) => containsRef(d, '#'));
    const rootName = rootRefs ? this.#reserve('Schema') : undefined;
    if (rootName !== undefined) renamed.set('#', rootName);
    const rewrite = (node: unknown): unknown => rewriteRefs(node, renamed);
    for (const [name, def] of Object.entries(defs)) {
      this.components[renamed.get(`#/$defs/${name}`)!] = rewrite(def) as JsonSchema;
    }
    const root = rewrite(json) as JsonSchema;
    if (rootName === undefined) return root;
    this.components[rootName] = root;
    return { $ref: `#/components/schemas/${rootName}` };
  }

  #reserve(wanted: string): string {
    const base = wanted.replace(/[^A-Za-z0-9._-]/g, '_') || 'Schema';
    let name = base;
    for (let i = 2; name in this.components; i++) name = `${base}${i}`;
    this.components[name] = {};
    return name;
  }
}

function containsRef(node: unknown, ref: string): boolean {
  if (Array.isArray(node)) return node.some((item) => containsRef(item, ref));
  if (typeof node !== 'object' || node === null) return false;
  return Object.entries(node).some(([key, value]) =>
    key === '$ref' ? value === ref : containsRef(value, ref),
  );
}

function rewriteRefs(node: unknown, renamed: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(node)) return node.map((item) => rewriteRefs(item, renamed));
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    const target = key === '$ref' && typeof value === 'string' ? renamed.get(value) : undefined;
    out[key] = target === undefined ? rewriteRefs(value, renamed) : `#/components/schemas/${target}`;
  }
  return out;
}
