import { startReplClient } from '@zephyr/devtools';
import type { CommandContext } from '../command.js';
import { parseCommandArgs } from '../parse-command-args.js';
import { APP_FLAGS, connectToApp } from './running-app.js';

interface Hello {
  pid: number;
  root: string;
  node: string;
  scope: string[];
}

/**
 * `zephyr repl`: a REPL whose input runs inside the running app (its `app`, `db`, `system` and
 * `config` in scope). Leaving it (`.exit`, Ctrl-D) leaves the app running.
 */
export async function runRepl(args: readonly string[], context: CommandContext): Promise<number> {
  const { values } = parseCommandArgs(args, { ...APP_FLAGS, history: { type: 'string' } }, 0);
  const client = await connectToApp(values, context.cwd, context.env);
  const hello = await client.request<Hello>('hello');
  context.err(
    `connected to ${hello.root} (pid ${hello.pid}, node ${hello.node}); in scope: ${hello.scope.join(', ')}\n` +
      'top-level await works; .exit or Ctrl-D leaves (the app keeps running)\n',
  );
  const how = await startReplClient(client, {
    input: process.stdin,
    output: process.stdout,
    terminal: context.interactive && process.stdin.isTTY === true,
    ...(values.history !== undefined ? { historyFile: values.history } : {}),
  });
  client.close();
  if (how === 'disconnected') {
    context.err('zephyr repl: the app went away\n');
    return 1;
  }
  return 0;
}
