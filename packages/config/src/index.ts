export { ConfigError, type ConfigIssue } from './config-error.js';
export { type EnvOverride, readEnvOverrides } from './env-overrides.js';
export {
  type ConfigOf,
  type ConfigSections,
  findConfigFile,
  type LoadConfigOptions,
  loadConfig,
  type ParseConfigOptions,
  parseConfig,
} from './load-config.js';
export { parseSize, type SizeSchema, sizeSchema } from './size.js';
export { closestName } from './suggest.js';
