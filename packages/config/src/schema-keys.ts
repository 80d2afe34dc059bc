import type { z } from 'zod';

interface Wrapper {
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  options?: readonly z.ZodType[];
}

function definition(schema: z.ZodType): Wrapper {
  return (schema as unknown as { _zod: { def: Wrapper } })._zod.def;
}

/** The keys an object schema accepts at `path`, seen through defaults, optionals and pipes. */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = schema;
  for (let depth = 0; current && depth <= path.length; ) {
    const def = definition(current);
    if (def.innerType) current = def.innerType;
    else if (def.in) current = def.in;
    else if (def.options) current = def.options.find((option) => definition(option).shape) ?? def.options[0];
    else if (def.shape) {
      if (depth === path.length) return Object.keys(def.shape);
      current = def.shape[String(path[depth])];
      depth++;
    } else return [];
  }
  return [];
}
