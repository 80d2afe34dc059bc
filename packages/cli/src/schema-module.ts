import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { createDatabase } from '@zephyr/db';
import { UsageError } from './command.js';

type AnySchema = Parameters<typeof createDatabase>[0]['schema'];

/** Imports the app's built schema module: its `schema` export (or default export) from `defineSchema`. */
export async function loadSchemaModule(path: string, root: string): Promise<AnySchema> {
  const file = resolve(root, path);
  if (!existsSync(file)) {
    throw new UsageError(
      `${file} does not exist: build the app first (npm run build), or pass --schema <file>`,
    );
  }
  const module = (await import(pathToFileURL(file).href)) as { schema?: unknown; default?: unknown };
  const schema = module.schema ?? module.default;
  if (
    typeof schema !== 'object' ||
    schema === null ||
    typeof (schema as { tables?: unknown }).tables !== 'object'
  ) {
    throw new UsageError(`${file}: expected an export named "schema" made by defineSchema()`);
  }
  return schema as AnySchema;
}
