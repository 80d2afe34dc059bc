import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

const CONSUMER = `
import { column, createDatabase, defineSchema, pglite, postgres, table } from '@zephyr/db';

const users = table('users', { id: column.serial().primaryKey(), email: column.text(), age: column.integer().nullable() });
const schema = defineSchema({ tables: [users] });
const db = createDatabase({ schema, dialect: pglite() });
const pg = postgres({ connectionString: 'postgres://localhost/app' });
void pg;
declare const maybe: number | undefined;

export async function safe(): Promise<void> {
  await db.models.users.find(1);
  await db.models.users.delete({ id: 1 });
  await db.models.users.delete({ all: true });
  await db.models.users.findMany({ where: { age: { gte: 18 } }, select: ['email'] });
}

export async function unsafe(): Promise<void> {
  // @ts-expect-error a string key on an integer primary key
  await db.models.users.find('abc');
  // @ts-expect-error an undefined operand
  await db.models.users.delete({ id: { eq: undefined } });
  // @ts-expect-error an operand that may be undefined
  await db.models.users.delete({ id: { eq: maybe } });
  // @ts-expect-error an empty AND
  await db.models.users.delete({ AND: [] });
  // @ts-expect-error an empty filter
  await db.models.users.update({}, { age: 1 });
}
`;

it('a consumer project (strict, skipLibCheck false, no exactOptionalPropertyTypes) typechecks, and unsafe filters do not', async () => {
  const dir = await mkdtemp(join(new URL('..', import.meta.url).pathname, '.consumer-'));
  try {
    await writeFile(join(dir, 'consumer.ts'), CONSUMER);
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    );
    const result = await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], {
      timeout: 120_000,
    }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(result).toBe('');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 180_000);
