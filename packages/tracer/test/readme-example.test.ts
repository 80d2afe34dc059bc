import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('the README example runs as written against the built package, printing what it says', async () => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const example = /```js\n(\/\/ example\.mjs[\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  // Inside the package directory so `@zephyr/tracer` resolves to this package (self-reference via exports).
  const dir = await mkdtemp(join(new URL('..', import.meta.url).pathname, '.readme-'));
  try {
    await writeFile(join(dir, 'example.mjs'), example!);
    const { stdout } = await run(process.execPath, ['example.mjs'], { cwd: dir, timeout: 60_000 });
    // Every `// <output>` comment under a console.log in the example is what it prints.
    const promised = [...example!.matchAll(/console\.log\([^\n]*\)[^\n]*\n?(?:\/\/ (.+)\n)?/g)]
      .map((m) => /\/\/ (.+)$/.exec(m[0].split('\n')[0]!)?.[1] ?? m[1])
      .filter((x): x is string => x !== undefined);
    expect(promised).toEqual([
      '200',
      '0af7651916cd43dd8448eb211c80319c GET /products/:sku SERVER b7ad6b7169203331',
    ]);
    expect(stdout.trim().split('\n')).toEqual(promised);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
