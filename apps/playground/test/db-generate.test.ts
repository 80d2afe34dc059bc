// `db:generate` as a user runs it after editing src/schema.ts: it once ran the compiled output of
// the previous build and said "nothing to generate". It must see the edit.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';

const run = promisify(execFile);
const playground = new URL('..', import.meta.url).pathname;
// Inside the playground so `zephyr` resolves from its node_modules, as it does for the real thing;
// made when the test runs (not when the file is collected), so a filtered run leaves nothing.
let copy = '';
beforeAll(() => {
  copy = mkdtempSync(join(playground, '.db-generate-'));
});
afterAll(() => rmSync(copy, { recursive: true, force: true }));

/** Runs the `db:generate` script exactly as package.json spells it, with `name` appended. */
async function dbGenerate(name: string): Promise<string> {
  const script = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8')).scripts['db:generate'];
  const bin = join(playground, '../../node_modules/.bin');
  const { stdout } = await run('sh', ['-c', `${script} "$0"`, name], {
    cwd: copy,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    timeout: 120_000,
  });
  return stdout;
}

it('generates a migration for a schema edit made after the last build', async () => {
  for (const entry of ['src', 'migrations', 'package.json'])
    cpSync(join(playground, entry), join(copy, entry), { recursive: true });
  const tsconfig = JSON.parse(readFileSync(join(playground, 'tsconfig.build.json'), 'utf8'));
  tsconfig.extends = join(playground, tsconfig.extends);
  writeFileSync(join(copy, 'tsconfig.build.json'), JSON.stringify(tsconfig));

  // A build of the schema as committed: migrations/ already describe it.
  expect(await dbGenerate('unchanged')).toContain('nothing to generate');

  const schemaFile = join(copy, 'src/schema.ts');
  const schema = readFileSync(schemaFile, 'utf8');
  writeFileSync(
    schemaFile,
    schema.replace(
      "body: column.text().default(''),",
      "body: column.text().default(''),\n  pinned: column.boolean().default(false),",
    ),
  );
  const out = await dbGenerate('add_pinned');
  expect(out).toMatch(/wrote .*add_pinned/);
  const written = readdirSync(join(copy, 'migrations')).find((f) => f.endsWith('_add_pinned.sql'));
  expect(readFileSync(join(copy, 'migrations', written!), 'utf8')).toContain('pinned');
}, 240_000);
