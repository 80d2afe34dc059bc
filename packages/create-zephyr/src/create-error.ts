/**
 * An error from `create-zephyr` / `zephyr new`, in Zephyr's shared error shape (`code`, `cause`).
 * The message is written for the person at the terminal and says what to do.
 */
export class CreateError extends Error {
  override readonly name = 'CreateError';
  readonly code: string;
  readonly expose = true;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A flag, a flag's value or an argument that is not one of the accepted ones. */
export const INVALID_ARGUMENT = 'ZEPHYR_ERR_INVALID_ARGUMENT';
/** The target directory holds files and `--force` was not given. */
export const DIR_NOT_EMPTY = 'ZEPHYR_ERR_CREATE_DIR_NOT_EMPTY';
/** `--from` names a directory without the package tarballs the app needs. */
export const TARBALL_MISSING = 'ZEPHYR_ERR_CREATE_TARBALL_MISSING';
/** The package manager's install exited with an error. */
export const INSTALL_FAILED = 'ZEPHYR_ERR_CREATE_INSTALL_FAILED';
/** A choice was missing, no terminal was there to ask, and `--yes` was not given. */
export const NEEDS_ANSWER = 'ZEPHYR_ERR_CREATE_NEEDS_ANSWER';
