import type { z } from 'zod';

/** Turns a value into JSON text. */
export type Serializer = (value: unknown) => string;

interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  entries?: Record<string, unknown>;
  values?: unknown[];
}

const defOf = (schema: z.ZodType): SchemaDef => (schema as unknown as { def: SchemaDef }).def;

/**
 * Compiles a zod schema, once at route registration, into a serializer specialised to its shape
 * (in the manner of fast-json-stringify): object keys are known, so no key enumeration and no
 * generic type dispatch happens per response, and keys outside the schema are never sent (a
 * response schema doubles as an allow-list against leaking fields). Shapes it does not
 * specialise (unions, records, …) fall back to `JSON.stringify` for that sub-tree.
 */
export function compileSerializer(schema: z.ZodType): Serializer {
  return build(schema);
}

function build(schema: z.ZodType): Serializer {
  const def = defOf(schema);
  switch (def.type) {
    case 'string':
      return (v) => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(String(v)));
    case 'number':
    case 'int':
      return (v) => (typeof v === 'number' && Number.isFinite(v) ? `${v}` : 'null');
    case 'boolean':
      return (v) => (v ? 'true' : 'false');
    case 'literal':
    case 'enum':
      return (v) => JSON.stringify(v) ?? 'null';
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional': {
      const inner = build(def.innerType!);
      return (v) => (v === null || v === undefined ? 'null' : inner(v));
    }
    case 'pipe':
      // The wire format is the pipe's output (e.g. a transform producing the sent value).
      return build(def.out!);
    case 'array': {
      const item = build(def.element!);
      return (v) => {
        if (!Array.isArray(v)) return 'null';
        let out = '[';
        for (let i = 0; i < v.length; i++) out += (i === 0 ? '' : ',') + item(v[i]);
        return `${out}]`;
      };
    }
    case 'object': {
      const fields = Object.entries(def.shape!).map(([key, field]) => ({
        key,
        prefix: `${JSON.stringify(key)}:`,
        optional: ['optional', 'default', 'prefault'].includes(defOf(field).type),
        write: build(field),
      }));
      return (v) => {
        if (v === null || typeof v !== 'object') return 'null';
        const obj = v as Record<string, unknown>;
        let out = '{';
        let first = true;
        for (const field of fields) {
          const value = obj[field.key];
          // Like JSON.stringify: an absent optional key is left out rather than sent as null.
          if (value === undefined && field.optional) continue;
          out += (first ? '' : ',') + field.prefix + field.write(value);
          first = false;
        }
        return `${out}}`;
      };
    }
    default:
      return (v) => JSON.stringify(v) ?? 'null';
  }
}
