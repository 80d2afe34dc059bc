import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { diffHeapSummaries, type HeapSummary, summarizeHeap } from '@zephyr/devtools';
import { type CommandContext, UsageError } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { chunkFile } from './profile-command.js';
import { APP_FLAGS, connectToApp, progressTo } from './running-app.js';

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const signed = (n: number, text: string): string => (n > 0 ? `+${text}` : text);

async function summaryOf(file: string, context: CommandContext): Promise<HeapSummary> {
  const size = (await stat(file)).size;
  context.err(`analysing ${file} (${kib(size)})…\n`);
  const started = Date.now();
  const summary = summarizeHeap(await readFile(file, 'utf8'));
  context.err(`  ${summary.nodeCount} objects in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return summary;
}

function count(value: string | undefined): number {
  if (value === undefined) return 20;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new UsageError(`--top must be an integer in 1..10000, got "${value}"`);
  return n;
}

/**
 * `zephyr heap snapshot` writes a `.heapsnapshot` of the running app and prints it by constructor;
 * `zephyr heap diff <before> <after>` names what grew between two snapshots.
 */
export async function runHeap(args: readonly string[], context: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    { ...APP_FLAGS, out: { type: 'string' }, top: { type: 'string' } },
    3,
  );
  const top = count(values.top);
  const [what, ...files] = positionals;
  if (what === 'snapshot') {
    if (files.length > 0) throw new UsageError('zephyr heap snapshot takes no file (use --out)');
    const client = await connectToApp(values, context.cwd, context.env);
    let file: string;
    try {
      const hello = await client.request<{ pid: number }>('hello');
      file = resolve(context.cwd, values.out ?? `heap-${hello.pid}-${Date.now()}.heapsnapshot`);
      context.err(`taking a heap snapshot of pid ${hello.pid}…\n`);
      const sink = chunkFile(file);
      await client.request('heap-snapshot', {}, { onProgress: progressTo(context.err), onChunk: sink.write });
      await sink.done();
    } finally {
      client.close();
    }
    context.err(`wrote ${file} (open it in Chrome DevTools' Memory panel)\n`);
    const summary = await summaryOf(file, context);
    context.out(`total ${kib(summary.totalSize)} in ${summary.nodeCount} objects\n`);
    context.out(`${'count'.padStart(9)} ${'shallow'.padStart(12)} ${'retained'.padStart(12)}  constructor\n`);
    for (const c of summary.constructors.slice(0, top))
      context.out(
        `${String(c.count).padStart(9)} ${kib(c.shallowSize).padStart(12)} ${kib(c.retainedSize).padStart(12)}  ${c.name}\n`,
      );
    return 0;
  }
  if (what === 'diff') {
    if (files.length !== 2) throw new UsageError('zephyr heap diff needs two snapshots: <before> <after>');
    const before = await summaryOf(resolve(context.cwd, files[0]!), context);
    const after = await summaryOf(resolve(context.cwd, files[1]!), context);
    const diff = diffHeapSummaries(before, after);
    context.out(`total ${signed(diff.totalDelta, kib(diff.totalDelta))}; what grew, most bytes first:\n`);
    context.out(`${'count'.padStart(9)} ${'shallow'.padStart(12)} ${'retained'.padStart(12)}  constructor\n`);
    for (const d of diff.grew.slice(0, top))
      context.out(
        `${signed(d.countDelta, String(d.countDelta)).padStart(9)} ${signed(d.shallowDelta, kib(d.shallowDelta)).padStart(12)} ${signed(d.retainedDelta, kib(d.retainedDelta)).padStart(12)}  ${d.name}\n`,
      );
    return 0;
  }
  throw new UsageError('zephyr heap snapshot | zephyr heap diff <before> <after>');
}
