// The public API of create-zephyr: the scaffolder behind `npm create zephyr` and `zephyr new`.
export {
  CreateError,
  DIR_NOT_EMPTY,
  INSTALL_FAILED,
  INVALID_ARGUMENT,
  NEEDS_ANSWER,
  TARBALL_MISSING,
} from './create-error.js';
export {
  type CreateArgs,
  type CreateOptions,
  createUsage,
  DATABASES,
  type DatabaseKind,
  ENGINES,
  type Engine,
  PACKAGE_MANAGERS,
  type PackageManager,
  parseCreateArgs,
  TEMPLATES,
  type Template,
} from './create-options.js';
export { type CreateContext, runCreate } from './run-create.js';
export { type ProgressReporter, type ScaffoldResult, scaffold } from './scaffold.js';
