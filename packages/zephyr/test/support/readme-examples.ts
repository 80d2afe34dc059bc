// README examples as files a test can run. An example is a ```ts or ```js block whose first line
// is a comment naming its file (`// app.mjs — …`); it is written, types stripped, into a fresh
// directory inside its package, so its imports resolve exactly as a user's would (the package's
// own name through its `exports`, its dependencies from its node_modules).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';

const run = promisify(execFile);

/** One fenced block of a README. */
export interface ReadmeBlock {
  /** The info string's first word: `ts`, `js`, `yaml`, `sh`… */
  lang: string;
  /** The file an example names on its first line (`app.mjs`), if it is an example. */
  name: string | undefined;
  code: string;
  /** 1-based line of the opening fence, for messages. */
  line: number;
}

const NAMED = /^\/\/ ([\w.-]+\.(?:mjs|js|ts))\b/;

/** Every fenced block of a README, in order. */
export function readmeBlocks(readme: string): ReadmeBlock[] {
  const blocks: ReadmeBlock[] = [];
  const fence = /^```(\w*)[^\n]*\n([\s\S]*?)^```$/gm;
  for (let match = fence.exec(readme); match !== null; match = fence.exec(readme)) {
    const code = match[2]!;
    blocks.push({
      lang: match[1]!,
      name: NAMED.exec(code)?.[1],
      code,
      line: readme.slice(0, match.index).split('\n').length,
    });
  }
  return blocks;
}

/** The examples of a package's README, by file name. */
export function readmeExamples(packageDir: string): Map<string, ReadmeBlock> {
  const blocks = readmeBlocks(readFileSync(join(packageDir, 'README.md'), 'utf8'));
  return new Map(blocks.filter((b) => b.name !== undefined).map((b) => [b.name!, b]));
}

/** A directory inside the package for an example run; remove it with `dispose`. */
export function exampleDir(packageDir: string): { dir: string; dispose: () => void } {
  const dir = mkdtempSync(join(packageDir, '.readme-'));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes an example into `dir` as an ES module (TypeScript types stripped); returns its path. */
export function writeExample(dir: string, block: ReadmeBlock): string {
  const js = ts.transpileModule(block.code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const file = join(dir, block.name!.replace(/\.(ts|js)$/, '.mjs'));
  writeFileSync(file, js);
  return file;
}

/** Runs an example to completion; its stdout. */
export async function runExample(
  dir: string,
  block: ReadmeBlock,
  env: Record<string, string> = {},
): Promise<string> {
  const file = writeExample(dir, block);
  const { stdout } = await run(process.execPath, [file], {
    cwd: dir,
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return stdout;
}

/** Starts a long-running example (a server) and waits for a line of its stdout to match `ready`. */
export async function startExample(
  dir: string,
  block: ReadmeBlock,
  ready: RegExp,
  env: Record<string, string> = {},
): Promise<{ match: RegExpExecArray; child: ChildProcess; stop: () => Promise<void> }> {
  const file = writeExample(dir, block);
  const child = spawn(process.execPath, [file], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${block.name} printed no ${ready} in 60 s:\n${output}`)),
      60_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk;
      const found = ready.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${block.name} exited with ${code}:\n${output}`));
    });
  });
  return { match, child, stop };
}

/**
 * Typechecks TypeScript examples as a user's project would (strict, NodeNext, the repository's
 * base settings), in a fresh directory inside the package; resolves to tsc's output, or rejects
 * with it.
 */
export async function typecheckExamples(
  packageDir: string,
  blocks: readonly ReadmeBlock[],
): Promise<{ ok: boolean; output: string }> {
  const { dir, dispose } = exampleDir(packageDir);
  try {
    const base = join(packageDir, '../../tsconfig.base.json');
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: base,
        compilerOptions: { noEmit: true, declaration: false, declarationMap: false, rootDir: '.' },
        include: ['*.ts'],
      }),
    );
    for (const block of blocks) writeFileSync(join(dir, block.name!), block.code);
    const tsc = join(packageDir, '../../node_modules/typescript/bin/tsc');
    try {
      const { stdout } = await run(process.execPath, [tsc, '-p', dir], { cwd: dir, timeout: 120_000 });
      return { ok: true, output: stdout };
    } catch (err) {
      return { ok: false, output: String((err as { stdout?: string }).stdout ?? err) };
    }
  } finally {
    dispose();
  }
}
