import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig, parseConfig, sizeSchema } from '../src/index.js';

// Sections shaped like the packages' own, kept here so this package's tests stand alone.
const sections = {
  server: z.strictObject({
    workers: z.union([z.literal('auto'), z.number().int().positive()]).default(1),
    io_engine: z.enum(['auto', 'io_uring', 'node']).default('auto'),
    limits: z
      .strictObject({ max_body_size: sizeSchema.default(1024 * 1024) })
      .default({ max_body_size: 1024 * 1024 }),
  }),
  runtime: z.strictObject({
    memory_pool_size: sizeSchema.default(0),
    actor_threads: z.number().int().nonnegative().default(0),
  }),
};

function issuesOf(run: () => unknown): ConfigError['issues'] {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('gives every section its defaults when the text is empty', () => {
    expect(parseConfig('', { sections })).toEqual({
      server: { workers: 1, io_engine: 'auto', limits: { max_body_size: 1048576 } },
      runtime: { memory_pool_size: 0, actor_threads: 0 },
    });
  });

  it('parses sizes and keeps types from the schemas', () => {
    const config = parseConfig('server:\n  workers: auto\nruntime:\n  memory_pool_size: 64MB\n', {
      sections,
    });
    expect(config.server.workers).toBe('auto');
    expect(config.runtime.memory_pool_size).toBe(64 * 1024 * 1024);
  });

  it('names the file, line, column and key path of an invalid value', () => {
    const text = 'server:\n  io_engine: epoll\n';
    const [issue] = issuesOf(() => parseConfig(text, { sections, source: 'app/zephyr.config.yaml' }));
    expect(issue).toMatchObject({
      path: 'server.io_engine',
      source: 'app/zephyr.config.yaml',
      line: 2,
      column: 14,
    });
    expect(() => parseConfig(text, { sections, source: 'app/zephyr.config.yaml' })).toThrow(
      /app\/zephyr\.config\.yaml:2:14 server\.io_engine: /,
    );
  });

  it('refuses an unknown key with a did-you-mean hint at the key line', () => {
    const issues = issuesOf(() =>
      parseConfig('runtime:\n  actor_threads: 2\n  memory_pol_size: 1MB\n', { sections }),
    );
    expect(issues).toEqual([
      expect.objectContaining({
        path: 'runtime.memory_pol_size',
        line: 3,
        column: 3,
        message: 'unknown key "memory_pol_size" (did you mean "memory_pool_size"?)',
      }),
    ]);
  });

  it('refuses an unknown nested key with a hint from its own object', () => {
    const issues = issuesOf(() => parseConfig('server:\n  limits:\n    max_body_sise: 1MB\n', { sections }));
    expect(issues[0]).toMatchObject({ path: 'server.limits.max_body_sise', line: 3 });
    expect(issues[0]?.message).toContain('did you mean "max_body_size"');
  });

  it('refuses an unknown section, suggesting the closest one', () => {
    const issues = issuesOf(() => parseConfig('sever:\n  workers: 2\n', { sections }));
    expect(issues[0]).toMatchObject({ path: 'sever', line: 1, column: 1 });
    expect(issues[0]?.message).toMatch(
      /unknown section "sever" \(did you mean "server"\?\); known sections: server, runtime/,
    );
  });

  it('gives no hint for a name that resembles nothing', () => {
    const issues = issuesOf(() => parseConfig('server:\n  zzzzzzzzzz: 1\n', { sections }));
    expect(issues[0]?.message).toBe('unknown key "zzzzzzzzzz"');
  });

  it('reports every issue at once, not only the first', () => {
    const issues = issuesOf(() =>
      parseConfig('server:\n  workers: 0\nruntime:\n  actor_threads: -1\n', { sections }),
    );
    expect(issues.map((issue) => [issue.path, issue.line])).toEqual([
      ['server.workers', 2],
      ['runtime.actor_threads', 4],
    ]);
  });

  it('reports YAML syntax errors and duplicate keys with their line', () => {
    expect(
      issuesOf(() => parseConfig('server:\n  workers: 2\n  workers: 3\n', { sections }))[0],
    ).toMatchObject({ line: 3 });
    expect(issuesOf(() => parseConfig('server: [1, 2\n', { sections }))[0]?.line).toBeGreaterThanOrEqual(1);
  });

  it('refuses a file that is not a mapping', () => {
    expect(issuesOf(() => parseConfig('- a\n- b\n', { sections }))[0]?.message).toMatch(/must be a mapping/);
  });

  it('applies ZEPHYR_SECTION__KEY overrides over the file, typed like YAML', () => {
    const config = parseConfig('server:\n  workers: 2\n', {
      sections,
      env: {
        ZEPHYR_SERVER__WORKERS: '4',
        ZEPHYR_RUNTIME__MEMORY_POOL_SIZE: '128MB',
        ZEPHYR_SERVER__LIMITS__MAX_BODY_SIZE: '10MB',
        ZEPHYR_IO_ENGINE: 'node', // not a path: no `__`
      },
    });
    expect(config.server).toEqual({
      workers: 4,
      io_engine: 'auto',
      limits: { max_body_size: 10 * 1024 * 1024 },
    });
    expect(config.runtime.memory_pool_size).toBe(128 * 1024 * 1024);
  });

  it('names the environment variable when an override is invalid or unknown', () => {
    const issues = issuesOf(() =>
      parseConfig('', { sections, env: { ZEPHYR_SERVER__WORKERS: 'many', ZEPHYR_SERVER__WORKRES: '2' } }),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: 'server.workers',
          source: 'environment variable ZEPHYR_SERVER__WORKERS',
        }),
        expect.objectContaining({
          path: 'server.workres',
          source: 'environment variable ZEPHYR_SERVER__WORKRES',
          message: 'unknown key "workres" (did you mean "workers"?)',
        }),
      ]),
    );
  });
});

describe('loadConfig', () => {
  it('reads zephyr.config.yaml from cwd and names it in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zephyr-config-'));
    writeFileSync(join(dir, 'zephyr.config.yaml'), 'server:\n  workers: 3\n');
    expect(loadConfig({ sections, cwd: dir, env: {} }).server.workers).toBe(3);
    writeFileSync(join(dir, 'zephyr.config.yaml'), 'server:\n  workers: -3\n');
    expect(() => loadConfig({ sections, cwd: dir, env: {} })).toThrow(
      `${join(dir, 'zephyr.config.yaml')}:2:12 server.workers`,
    );
  });

  it('uses defaults and environment when there is no file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zephyr-config-'));
    expect(loadConfig({ sections, cwd: dir, env: { ZEPHYR_SERVER__WORKERS: 'auto' } }).server.workers).toBe(
      'auto',
    );
  });

  it('fails clearly when an explicitly named file is missing', () => {
    expect(() => loadConfig({ sections, file: '/nonexistent/zephyr.yaml', env: {} })).toThrow(
      /\/nonexistent\/zephyr\.yaml \(root\): cannot read the file/,
    );
  });
});
