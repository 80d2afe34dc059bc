// docs/errors.md and the code cannot drift: every ZEPHYR_ERR_* code raised anywhere in the
// packages (or the Rust engine) has a row there, every row's code is still raised, and a retired
// code is raised nowhere. Each disagreement is reported on its own line, naming the code and where.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url).pathname;
const reference = join(root, 'docs/errors.md');
const QUOTED_CODE = /['"](ZEPHYR_ERR_[A-Z0-9_]*[A-Z0-9])['"]/g;
const ROW_CODE = /^\| `(ZEPHYR_ERR_[A-Z0-9_]+)` \|/;

function* sourceFiles(dir: string, ext: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path, ext);
    else if (entry.name.endsWith(ext)) yield path;
  }
}

/** Code → the first `file:line` raising it, over packages/*\/src (TypeScript) and crates/*\/src (Rust). */
function codesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  const roots = [
    ...readdirSync(join(root, 'packages')).map((p) => [join(root, 'packages', p, 'src'), '.ts'] as const),
    ...readdirSync(join(root, 'crates')).map((c) => [join(root, 'crates', c, 'src'), '.rs'] as const),
  ];
  for (const [dir, ext] of roots) {
    let files: string[];
    try {
      files = [...sourceFiles(dir, ext)];
    } catch {
      continue; // a package without src/
    }
    for (const file of files) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          for (const match of line.matchAll(QUOTED_CODE)) {
            if (!found.has(match[1]!)) found.set(match[1]!, `${relative(root, file)}:${i + 1}`);
          }
        });
    }
  }
  return found;
}

/** The codes of the page's tables: current ones, and those under "Retired codes". */
function codesInReference(): { current: Map<string, number>; retired: Map<string, number> } {
  const current = new Map<string, number>();
  const retired = new Map<string, number>();
  let section = current;
  readFileSync(reference, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.startsWith('## ')) section = line.startsWith('## Retired') ? retired : current;
      const code = ROW_CODE.exec(line)?.[1];
      if (code !== undefined) section.set(code, i + 1);
    });
  return { current, retired };
}

it('docs/errors.md lists exactly the codes the sources raise', () => {
  const source = codesInSource();
  const { current, retired } = codesInReference();
  const problems: string[] = [];
  for (const [code, where] of source) {
    if (retired.has(code)) {
      problems.push(`${code} is retired (docs/errors.md:${retired.get(code)}) but still raised at ${where}`);
    } else if (!current.has(code)) {
      problems.push(
        `${code} is raised at ${where} but has no row in docs/errors.md: add | \`${code}\` | class | status | cause | how to fix |`,
      );
    }
  }
  for (const [code, line] of current) {
    if (!source.has(code)) {
      problems.push(
        `${code} has a row at docs/errors.md:${line} but is raised in no packages/*/src or crates/*/src file: remove the row, or move it to "Retired codes"`,
      );
    }
  }
  expect(problems).toEqual([]);
  // The scan itself works: it finds codes of every package.
  expect(source.size).toBeGreaterThan(40);
});
