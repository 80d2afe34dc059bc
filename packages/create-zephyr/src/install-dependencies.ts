import { spawn } from 'node:child_process';
import { CreateError, INSTALL_FAILED } from './create-error.js';
import type { PackageManager } from './create-options.js';

/** The install command for each package manager: quiet, and from the local cache when it can. */
export const INSTALL_ARGS: Record<PackageManager, readonly string[]> = {
  npm: ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
  pnpm: ['install', '--prefer-offline', '--reporter=append-only'],
};

/**
 * Runs the package manager's install in `dir`, keeping its output to show on failure.
 *
 * @throws CreateError `ZEPHYR_ERR_CREATE_INSTALL_FAILED` with the command's last lines.
 */
export function installDependencies(
  pm: PackageManager,
  dir: string,
  env: Readonly<Record<string, string | undefined>>,
  fromRegistry: boolean,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(pm, [...INSTALL_ARGS[pm]], {
      cwd: dir,
      env: { ...env } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.on('error', (err) =>
      reject(
        new CreateError(
          INSTALL_FAILED,
          `could not run ${pm}: ${err.message}${pm === 'pnpm' ? ' (is pnpm installed? or use --pm npm)' : ''}`,
          {
            cause: err,
          },
        ),
      ),
    );
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const tail = output.trim().split('\n').slice(-15).join('\n');
      const hint =
        fromRegistry && /E404|404 Not Found|ERR_PNPM_FETCH_404/.test(output)
          ? '\nThe @zephyr packages are not on the npm registry yet: pack them from a clone ' +
            '(pnpm -r pack --pack-destination <dir>) and pass --from <dir>.'
          : '';
      reject(
        new CreateError(
          INSTALL_FAILED,
          `${pm} ${INSTALL_ARGS[pm].join(' ')} failed in ${dir} (exit ${code}):\n${tail}${hint}\n` +
            'The files are written: fix the cause, then run the install there yourself.',
        ),
      );
    });
  });
}
