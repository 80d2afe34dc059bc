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
      return (v) => quote(typeof v === 'string' ? v : String(v));
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
    case 'object':
      return compileObject(def.shape!);
    default:
      return (v) => JSON.stringify(v) ?? 'null';
  }
}

/** Characters that JSON must escape (and lone surrogates, which `JSON.stringify` escapes). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what JSON must escape
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A JSON string literal; plain short strings skip `JSON.stringify` (the common case, and faster). */
export function quote(value: string): string {
  return value.length < 256 && !NEEDS_ESCAPE.test(value) ? `"${value}"` : JSON.stringify(value);
}

/**
 * Objects are compiled to one generated function whose body concatenates the known keys with
 * their writers: required keys in a single expression, optional ones behind a presence check.
 * Keys enter the generated source only as `JSON.stringify` literals, so no key can inject code.
 */
function compileObject(shape: Record<string, z.ZodType>): Serializer {
  const writers: Serializer[] = [];
  const lines: string[] = [
    'if (o === null || typeof o !== "object") return "null";',
    'let out = "{";',
    'let sep = "";',
    'let v;',
  ];
  for (const [key, field] of Object.entries(shape)) {
    const type = defOf(field).type;
    const optional = type === 'optional' || type === 'default' || type === 'prefault';
    const prefix = JSON.stringify(`${JSON.stringify(key)}:`);
    writers.push(build(field));
    const write = `w[${writers.length - 1}](v)`;
    lines.push(`v = o[${JSON.stringify(key)}];`);
    if (optional) lines.push(`if (v !== undefined) { out += sep + ${prefix} + ${write}; sep = ","; }`);
    else lines.push(`out += sep + ${prefix} + ${write}; sep = ",";`);
  }
  lines.push('return out + "}";');
  const factory = new Function('w', `return function serialize(o) { ${lines.join('\n')} };`) as (
    w: Serializer[],
  ) => Serializer;
  return factory(writers);
}
