import { appRootOf, ControlClient, findControlSocket } from '@zephyr/devtools';
import { UsageError } from '../command.js';

/** The flags that pick a running app: shared by `zephyr repl`, `profile` and `heap snapshot`. */
export const APP_FLAGS = {
  socket: { type: 'string' },
  pid: { type: 'string' },
} as const;

/** The usage lines of {@link APP_FLAGS}. */
export const APP_FLAGS_USAGE = `  --socket <path>  the app's control socket (default: the one running app of this directory)
  --pid <pid>      the app's process id, when several run`;

/** Connects to the control socket of the app the flags (or the working directory) name. */
export async function connectToApp(
  values: { socket?: string | undefined; pid?: string | undefined },
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ControlClient> {
  let pid: number | undefined;
  if (values.pid !== undefined) {
    pid = Number(values.pid);
    if (!/^\d+$/.test(values.pid) || !Number.isSafeInteger(pid) || pid < 1)
      throw new UsageError(`--pid must be a process id, got "${values.pid}"`);
  }
  const path = findControlSocket({ root: appRootOf(cwd), socket: values.socket, pid, env });
  return ControlClient.connect(path);
}

/** Forwards the app's progress lines to standard error, so anything slow shows it is moving. */
export function progressTo(err: (text: string) => void): (message: string) => void {
  return (message) => err(`  ${message}\n`);
}
