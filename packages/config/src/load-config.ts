import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Document, isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { applyEnvOverrides, type EnvOverride, readEnvOverrides } from './env-overrides.js';
import { keysAt } from './schema-keys.js';
import { closestName } from './suggest.js';

/** The sections a loader knows, each owned by a package (`server` by @zephyr/server, …). */
export type ConfigSections = Record<string, z.ZodType>;

/** The validated configuration: each section's schema output. */
export type ConfigOf<S extends ConfigSections> = { [K in keyof S]: z.output<S[K]> };

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions<S extends ConfigSections> {
  /** Section name → schema. A section absent from the file is parsed from `{}` (its defaults). */
  sections: S;
  /** Where the text came from, used in error messages (default `zephyr.config.yaml`). */
  source?: string;
  /** Environment to read `ZEPHYR_SECTION__KEY` overrides from (default: none). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions<S extends ConfigSections> {
  sections: S;
  /** The file to read. Default: `zephyr.config.yaml` (or `.yml`) in `cwd`, if there is one. */
  file?: string;
  /** Directory to look for the default file in (default `process.cwd()`). */
  cwd?: string;
  /** Environment for overrides (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

const DEFAULT_FILES = ['zephyr.config.yaml', 'zephyr.config.yml'];

/** The config file `loadConfig` would read in `cwd`, or undefined when there is none. */
export function findConfigFile(cwd: string = process.cwd()): string | undefined {
  return DEFAULT_FILES.map((name) => resolve(cwd, name)).find((path) => existsSync(path));
}

/**
 * Reads, overrides from the environment, and validates a Zephyr config file. Without a file, the
 * sections' defaults (plus environment overrides) are the configuration.
 *
 * @throws ConfigError listing every issue with its file, line, column and key path.
 * @example
 * ```ts
 * const config = loadConfig({ sections: { server: serverConfigSchema, runtime: runtimeConfigSchema } });
 * config.server.workers; // 'auto' | number, typed from the schema
 * ```
 */
export function loadConfig<S extends ConfigSections>(options: LoadConfigOptions<S>): ConfigOf<S> {
  const file = options.file
    ? resolve(options.cwd ?? process.cwd(), options.file)
    : findConfigFile(options.cwd);
  let text = '';
  if (file) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError([
        { path: '', source: file, message: `cannot read the file: ${(err as Error).message}` },
      ]);
    }
  }
  return parseConfig(text, {
    sections: options.sections,
    source: file ?? '(defaults)',
    env: options.env ?? process.env,
  });
}

/** Validates config text (YAML); see {@link loadConfig}. */
export function parseConfig<S extends ConfigSections>(
  text: string,
  options: ParseConfigOptions<S>,
): ConfigOf<S> {
  const source = options.source ?? 'zephyr.config.yaml';
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((error) => ({
        path: '',
        source,
        message: error.message.split('\n')[0] ?? error.message,
        ...position(lines, error.pos[0]),
      })),
    );
  }
  const data: unknown = doc.toJS() ?? {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError([
      { path: '', source, message: 'the file must be a mapping of sections (server:, runtime:, …)' },
    ]);
  }
  const raw = data as Record<string, unknown>;
  const overrides = readEnvOverrides(options.env ?? {});
  applyEnvOverrides(raw, overrides);

  const locate = (
    path: readonly PropertyKey[],
    keyOnly = false,
  ): Pick<ConfigIssue, 'source' | 'line' | 'column'> => {
    const variable = overrideFor(overrides, path);
    if (variable) return { source: `environment variable ${variable}` };
    return { source, ...locateInDocument(doc, lines, path, keyOnly) };
  };

  const issues: ConfigIssue[] = [];
  const known = Object.keys(options.sections);
  for (const name of Object.keys(raw)) {
    if (name in options.sections) continue;
    const hint = closestName(name, known);
    issues.push({
      path: name,
      message: `unknown section "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; known sections: ${known.join(', ')}`,
      ...locate([name], true),
    });
  }

  const result: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(options.sections)) {
    const parsed = schema.safeParse(raw[name] ?? {});
    if (parsed.success) {
      result[name] = parsed.data;
      continue;
    }
    for (const issue of parsed.error.issues) {
      const path = [name, ...issue.path];
      if (issue.code === 'unrecognized_keys') {
        const siblings = keysAt(schema, issue.path);
        for (const key of issue.keys) {
          const hint = closestName(key, siblings);
          issues.push({
            path: [...path, key].join('.'),
            message: `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}`,
            ...locate([...path, key], true),
          });
        }
      } else {
        const got = valueAt(raw, path);
        const shown = got === undefined ? '' : ` (got ${JSON.stringify(got)})`;
        issues.push({ path: path.join('.'), message: `${issue.message}${shown}`, ...locate(path) });
      }
    }
  }
  // File order reads best: an editor's problem list goes top to bottom.
  issues.sort((a, b) => a.source.localeCompare(b.source) || (a.line ?? 0) - (b.line ?? 0));
  if (issues.length > 0) throw new ConfigError(issues);
  return result as ConfigOf<S>;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return typeof node === 'object' && node !== null ? undefined : node;
}

function overrideFor(overrides: readonly EnvOverride[], path: readonly PropertyKey[]): string | undefined {
  const wanted = path.map(String);
  // The most specific variable whose path is a prefix of the issue's path set the offending value.
  let match: EnvOverride | undefined;
  for (const override of overrides) {
    if (override.path.length <= wanted.length && override.path.every((segment, i) => segment === wanted[i])) {
      if (!match || override.path.length > match.path.length) match = override;
    }
  }
  return match?.variable;
}

function position(lines: LineCounter, offset: number | undefined): { line?: number; column?: number } {
  if (offset === undefined) return {};
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

/** Line and column of the value at `path`, or of the nearest ancestor that exists in the file. */
function locateInDocument(
  doc: Document,
  lines: LineCounter,
  path: readonly PropertyKey[],
  keyOnly: boolean,
): { line?: number; column?: number } {
  for (let depth = path.length; depth > 0; depth--) {
    const parent = depth === 1 ? doc.contents : doc.getIn(path.slice(0, depth - 1), true);
    if (!isMap(parent)) continue;
    const pair = parent.items.find(
      (item) => isScalar(item.key) && String(item.key.value) === String(path[depth - 1]),
    );
    if (!pair) continue;
    const node =
      !keyOnly && depth === path.length && pair.value && typeof pair.value === 'object'
        ? pair.value
        : pair.key;
    const range = (node as { range?: [number, number, number] }).range;
    if (range) return position(lines, range[0]);
  }
  return {};
}
