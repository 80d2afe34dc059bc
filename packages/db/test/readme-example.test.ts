import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('the README example runs as written (PGlite, no server) against the built package', async () => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const example = /```js\n(\/\/ example\.mjs[\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  // Inside the package directory so `@zephyr/db` resolves to this package (self-reference via exports).
  const dir = await mkdtemp(join(new URL('..', import.meta.url).pathname, '.readme-'));
  try {
    await writeFile(join(dir, 'example.mjs'), example!);
    const { stdout } = await run(process.execPath, ['example.mjs'], { cwd: dir, timeout: 60_000 });
    expect(stdout).toContain("Ada [ 'Notes on the Analytical Engine', 'Draft' ]");
    expect(stdout).toContain("ZEPHYR_ERR_DB_UNIQUE_VIOLATION users_email_key [ 'email' ]");
    expect(stdout).toContain("[ { id: 1, name: 'Ada' } ]");
    expect(stdout).toContain('{ n: 1 }');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
