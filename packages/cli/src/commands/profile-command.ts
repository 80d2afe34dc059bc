import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type CpuProfile, MAX_PROFILE_SECONDS, topFunctionsBySelfTime } from '@zephyr/devtools';
import { type CommandContext, UsageError } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { APP_FLAGS, connectToApp, progressTo } from './running-app.js';

/** Writes the chunks of one request to `file`, resolving when all are on disk. */
export function chunkFile(file: string): { write(data: string): void; done(): Promise<void> } {
  const out = createWriteStream(file);
  return {
    write: (data) => void out.write(data),
    done: () =>
      new Promise((resolvePromise, reject) => {
        out.once('error', reject);
        out.end(() => resolvePromise());
      }),
  };
}

function positive(value: string | undefined, flag: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > max)
    throw new UsageError(`${flag} must be a number in (0, ${max}], got "${value}"`);
  return n;
}

/** `zephyr profile cpu --seconds N`: a `.cpuprofile` of the running app and its top functions by self time. */
export async function runProfile(args: readonly string[], context: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    { ...APP_FLAGS, seconds: { type: 'string' }, out: { type: 'string' }, top: { type: 'string' } },
    1,
  );
  if (positionals[0] !== 'cpu') throw new UsageError('say what to profile: zephyr profile cpu --seconds <n>');
  const seconds = positive(values.seconds, '--seconds', 10, MAX_PROFILE_SECONDS);
  const top = Math.floor(positive(values.top, '--top', 15, 1000));
  const client = await connectToApp(values, context.cwd, context.env);
  try {
    const hello = await client.request<{ pid: number }>('hello');
    const file = resolve(context.cwd, values.out ?? `cpu-${hello.pid}-${Date.now()}.cpuprofile`);
    context.err(`profiling pid ${hello.pid} for ${seconds} s…\n`);
    const sink = chunkFile(file);
    await client.request(
      'cpu-profile',
      { seconds },
      { onProgress: progressTo(context.err), onChunk: sink.write },
    );
    await sink.done();
    context.err(`wrote ${file} (open it in Chrome DevTools' Performance panel or speedscope)\n`);
    const rows = topFunctionsBySelfTime(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, top);
    context.out(`${'self ms'.padStart(10)} ${'self %'.padStart(7)}  function  (location)\n`);
    for (const r of rows)
      context.out(
        `${r.selfMs.toFixed(1).padStart(10)} ${r.selfPercent.toFixed(1).padStart(7)}  ${r.functionName}${r.location ? `  (${r.location})` : ''}\n`,
      );
    return 0;
  } finally {
    client.close();
  }
}
