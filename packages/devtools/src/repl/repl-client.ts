import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Recoverable, start } from 'node:repl';
import type { ControlClient } from '../control/control-client.js';
import type { EvalResult } from './repl-evaluator.js';

/** Options of {@link startReplClient}. */
export interface ReplClientOptions {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  /** Whether the streams are a terminal (line editing, colours). */
  readonly terminal: boolean;
  /** The history file (default `~/.zephyr_repl_history`). */
  readonly historyFile?: string;
}

/** The default history file: one per user, shared by every app. */
export function defaultHistoryFile(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.ZEPHYR_REPL_HISTORY ?? join(homedir(), '.zephyr_repl_history');
}

/**
 * Runs a REPL here whose input is evaluated in the app at the other end of `client`: line editing,
 * history and the prompt are local; evaluation and tab completion happen in the app. Resolves when
 * the person leaves (`.exit`, Ctrl-D) or the app goes away; the app keeps running either way.
 */
export function startReplClient(
  client: ControlClient,
  options: ReplClientOptions,
): Promise<'left' | 'disconnected'> {
  if (!options.terminal) return evaluateLines(client, options);
  return new Promise((resolve) => {
    let ended = false;
    const server = start({
      prompt: 'zephyr> ',
      input: options.input,
      output: options.output,
      terminal: options.terminal,
      useColors: options.terminal,
      ignoreUndefined: false,
      // The app has already rendered the value (inspect, truncated): print it as it came.
      writer: (value: unknown) => String(value),
      eval: (code, _context, _file, callback) => {
        client.request<EvalResult>('eval', { code, colors: options.terminal }).then(
          (result) => {
            if ('recoverable' in result)
              callback(new Recoverable(new SyntaxError('incomplete input')), undefined);
            else callback(null, result.output);
          },
          (err: Error) => {
            callback(null, `the app did not answer: ${err.message}`);
            if (!ended) {
              ended = true;
              server.close();
              resolve('disconnected');
            }
          },
        );
      },
      completer: (line: string, callback: (err: Error | null, result: [string[], string]) => void) => {
        client.request<[string[], string]>('complete', { line }).then(
          (result) => callback(null, result),
          () => callback(null, [[], line]),
        );
      },
    });
    server.setupHistory(options.historyFile ?? defaultHistoryFile(), () => {});
    server.on('exit', () => {
      if (!ended) {
        ended = true;
        resolve('left');
      }
    });
  });
}

/**
 * Input that is not a terminal (`echo 'await db.models.users.count()' | zephyr repl`): each
 * complete input is evaluated in order and its result printed, and the REPL leaves at the end of
 * the input only after the last answer.
 */
async function evaluateLines(
  client: ControlClient,
  options: ReplClientOptions,
): Promise<'left' | 'disconnected'> {
  let pending = '';
  for await (const line of createInterface({ input: options.input, crlfDelay: Number.POSITIVE_INFINITY })) {
    pending += `${line}\n`;
    if (pending.trim() === '') {
      pending = '';
      continue;
    }
    let result: EvalResult;
    try {
      result = await client.request<EvalResult>('eval', { code: pending, colors: false });
    } catch (err) {
      options.output.write(`the app did not answer: ${(err as Error).message}\n`);
      return 'disconnected';
    }
    if ('recoverable' in result) continue;
    pending = '';
    options.output.write(`${result.output}\n`);
  }
  if (pending.trim() !== '') options.output.write('the input ended inside an unfinished expression\n');
  return 'left';
}
