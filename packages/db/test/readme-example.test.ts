import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

/** Every ```js block of the README that starts with `// <name>.mjs` is a program, run as written. */
async function examples(): Promise<Map<string, string>> {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const found = new Map<string, string>();
  for (const match of readme.matchAll(/```js\n(\/\/ ([\w-]+\.mjs)[\s\S]*?)```/g)) {
    found.set(match[2] as string, match[1] as string);
  }
  return found;
}

/** Each example spawns node and opens PGlite: seconds when idle, tens of seconds on a loaded machine. */
const EXAMPLE_TIMEOUT_MS = 90_000;

/** Runs one example against the built package, in a scratch directory inside the package (so `@zephyr/db` resolves). */
async function runExample(name: string): Promise<string> {
  const code = (await examples()).get(name);
  expect(code, `README example ${name}`).toBeDefined();
  const dir = await mkdtemp(join(new URL('..', import.meta.url).pathname, '.readme-'));
  try {
    await writeFile(join(dir, name), code!);
    const { stdout } = await run(process.execPath, [name], {
      cwd: dir,
      timeout: EXAMPLE_TIMEOUT_MS - 10_000,
    });
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

it('the README examples are all covered here', async () => {
  expect([...(await examples()).keys()].sort()).toEqual(['example.mjs', 'rename.mjs', 'safe-filters.mjs']);
});

it(
  'the main README example runs as written (PGlite, no server) against the built package',
  async () => {
    const stdout = await runExample('example.mjs');
    expect(stdout).toContain("Ada [ 'Notes on the Analytical Engine', 'Draft' ]");
    expect(stdout).toContain("ZEPHYR_ERR_DB_UNIQUE_VIOLATION users_email_key [ 'email' ]");
    expect(stdout).toContain("[ { id: 1, name: 'Ada' } ]");
    expect(stdout).toContain('{ n: 1 }');
  },
  EXAMPLE_TIMEOUT_MS,
);

it(
  'the safe-filter example runs and its assertions hold',
  async () => {
    const stdout = await runExample('safe-filters.mjs');
    expect(stdout).toContain("[ { email: 'b@x.io', role: 'admin' } ]");
  },
  EXAMPLE_TIMEOUT_MS,
);

it(
  'the rename workflow example runs and keeps the data',
  async () => {
    const stdout = await runExample('rename.mjs');
    expect(stdout).toContain("[ 'rename column people.name to display_name' ]");
  },
  EXAMPLE_TIMEOUT_MS,
);
