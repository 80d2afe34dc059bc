import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('README', () => {
  it('runs the example as written and prints what its comments say', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = /## Example\n\n```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const dist = new URL('../dist/index.js', import.meta.url).href;
    const script = example!.replace("from '@zephyr/runtime'", `from ${JSON.stringify(dist)}`);
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    });
    expect(out.trim().split('\n')).toEqual(['2', 'ZEPHYR_ERR_ACTOR_FAILED', '0']);
  });
});
