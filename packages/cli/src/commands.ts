import { ConfigError } from '@zephyr/config';
import { ioUringSupported, loadConfig } from 'zephyr';

/** What a command prints and the exit code it asks for. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** A CLI command: parsed arguments in, output and an exit code out (no process access, testable). */
export interface Command {
  summary: string;
  usage: string;
  run(args: readonly string[], cwd: string, env: Readonly<Record<string, string | undefined>>): CommandResult;
}

const ok = (stdout: string): CommandResult => ({ stdout, stderr: '', code: 0 });

export const commands: Record<string, Command> = {
  config: {
    summary: 'validate zephyr.config.yaml (with ZEPHYR_* overrides) and print the resolved configuration',
    usage: 'zephyr config [--file <path>]',
    run(args, cwd, env) {
      const fileFlag = args.indexOf('--file');
      const file = fileFlag >= 0 ? args[fileFlag + 1] : undefined;
      if (fileFlag >= 0 && !file) return { stdout: '', stderr: '--file needs a path\n', code: 2 };
      try {
        const config = loadConfig({ cwd, env, ...(file ? { file } : {}) });
        return ok(`${JSON.stringify(config, null, 2)}\n`);
      } catch (err) {
        if (err instanceof ConfigError) return { stdout: '', stderr: `${err.message}\n`, code: 1 };
        throw err;
      }
    },
  },
  probe: {
    summary: 'tell whether io_uring can be used here, and why not',
    usage: 'zephyr probe',
    run() {
      const probe = ioUringSupported();
      return probe.supported
        ? ok(`io_uring: supported (features 0x${probe.features.toString(16)})\n`)
        : { stdout: `io_uring: not supported: ${probe.reason}\n`, stderr: '', code: 1 };
    },
  },
};
