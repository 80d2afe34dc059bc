import { readFileSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where in a source file an error points: 1-based line and column. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** Lines shown above and below the failing line. */
const CONTEXT_LINES = 2;

// esbuild (through tsx) reports a syntax error as `/abs/file.ts:3:12: ERROR: Unexpected ";"`,
// with a 0-based column.
const TRANSFORM_ERROR = /^(\/[^\n:]+):(\d+):(\d+): ERROR: /m;
// A V8 stack frame, `at fn (/abs/file.ts:3:9)`, `at /abs/file.ts:3:9` or with a file: URL.
const STACK_FRAME = /^\s+at (?:.*? \()?((?:file:\/\/)?\/[^\n():]+):(\d+):(\d+)\)?$/gm;

/**
 * Where an error thrown while loading the app points in the app's own files: the syntax error's
 * position for a file that does not compile, else the first stack frame under `root` outside
 * `node_modules` (tsx maps frames back to the TypeScript source). Undefined when none does.
 */
export function locateError(err: unknown, root: string): SourceLocation | undefined {
  const message = err instanceof Error ? err.message : String(err);
  const transform = TRANSFORM_ERROR.exec(message);
  if (transform) {
    return { file: transform[1]!, line: Number(transform[2]), column: Number(transform[3]) + 1 };
  }
  const stack = err instanceof Error ? (err.stack ?? '') : '';
  for (const match of stack.matchAll(STACK_FRAME)) {
    const file = match[1]!.startsWith('file://') ? fileURLToPath(match[1]!) : match[1]!;
    const inApp = isAbsolute(file) && !relative(root, file).startsWith('..');
    if (inApp && !file.split(sep).includes('node_modules')) {
      return { file, line: Number(match[2]), column: Number(match[3]) };
    }
  }
  return undefined;
}

/**
 * The lines around `line` of `source`, numbered, with `>` on the failing line and a caret under
 * `column`, as Babel and esbuild print them.
 *
 * @example
 * ```ts
 * codeFrame('const a = 1;\nconst b = ;\n', 2, 11);
 * //   1 | const a = 1;
 * // > 2 | const b = ;
 * //     |           ^
 * ```
 */
export function codeFrame(source: string, line: number, column: number): string {
  const lines = source.split(/\r?\n/);
  // A file's last newline ends its last line rather than starting an empty one.
  if (lines.length > 1 && lines.at(-1) === '') lines.pop();
  const first = Math.max(1, line - CONTEXT_LINES);
  const last = Math.min(lines.length, line + CONTEXT_LINES);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const text = lines[n - 1] ?? '';
    const gutter = String(n).padStart(width);
    out.push(`${n === line ? '>' : ' '} ${gutter} | ${text}`.trimEnd());
    if (n === line) {
      // Tabs stay tabs so the caret lines up under what the terminal shows.
      const lead = text.slice(0, Math.max(0, column - 1)).replace(/[^\t]/g, ' ');
      out.push(`  ${' '.repeat(width)} | ${lead}^`);
    }
  }
  return out.join('\n');
}

/**
 * An error that stopped the app from loading, as a person reads it: the message, the file and
 * position relative to `root`, and the code frame there. The stack follows when no frame of the
 * app's own files was found (the error came from a dependency or from Node itself).
 */
export function describeStartupError(err: unknown, root: string): string {
  const location = locateError(err, root);
  const code = (err as { code?: unknown } | null)?.code;
  const zephyrCode = typeof code === 'string' && code.startsWith('ZEPHYR_ERR_') ? code : undefined;
  const head =
    err instanceof Error
      ? `${err.name}: ${err.message.replace(TRANSFORM_ERROR, '').replace(/^Transform failed with \d+ errors?:\n/, '')}${zephyrCode ? ` (${zephyrCode})` : ''}`
      : `thrown: ${String(err)}`;
  // Zephyr's own errors (a bad config file, a bad default export) say all a person needs.
  if (!location && zephyrCode) return head;
  if (!location) return err instanceof Error && err.stack ? err.stack : head;
  let frame = '';
  try {
    frame = `\n${codeFrame(readFileSync(location.file, 'utf8'), location.line, location.column)}`;
  } catch {
    // The file went away since the error (an editor's save-by-rename): the position still helps.
  }
  return `${head}\n  at ${relative(root, location.file)}:${location.line}:${location.column}${frame}`;
}
