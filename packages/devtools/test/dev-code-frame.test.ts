import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isIgnoredPath } from '../src/dev/change-watcher.js';
import { codeFrame, describeStartupError, locateError } from '../src/index.js';

describe('codeFrame', () => {
  it('numbers the lines around the failing one, marks it and puts a caret under the column', () => {
    const source = 'a\nb\nconst x = ;\nd\ne\nf\n';
    expect(codeFrame(source, 3, 11)).toBe(
      ['  1 | a', '  2 | b', '> 3 | const x = ;', '    |           ^', '  4 | d', '  5 | e'].join('\n'),
    );
  });

  it('widens the gutter for two-digit line numbers and keeps tabs under the caret', () => {
    const source = `${'x\n'.repeat(9)}\tbad()\n`;
    expect(codeFrame(source, 10, 2)).toBe(
      ['   8 | x', '   9 | x', '> 10 | \tbad()', '     | \t^'].join('\n'),
    );
  });
});

describe('locateError', () => {
  const root = '/app';

  it("reads esbuild's position of a syntax error (0-based column)", () => {
    const err = new Error('Transform failed with 1 error:\n/app/src/a.ts:3:12: ERROR: Unexpected ";"');
    expect(locateError(err, root)).toEqual({ file: '/app/src/a.ts', line: 3, column: 13 });
  });

  it("takes the first stack frame in the app's own files, skipping node_modules and node internals", () => {
    const err = new Error('boom');
    err.stack = [
      'Error: boom',
      '    at f (/app/node_modules/lib/index.js:1:1)',
      '    at node:internal/modules/esm/module_job:325:25',
      '    at g (file:///app/src/b.ts:7:9)',
      '    at /app/src/c.ts:1:1',
    ].join('\n');
    expect(locateError(err, root)).toEqual({ file: '/app/src/b.ts', line: 7, column: 9 });
  });

  it('finds nothing for an error from outside the app', () => {
    const err = new Error('boom');
    err.stack = 'Error: boom\n    at f (/elsewhere/x.js:1:1)';
    expect(locateError(err, root)).toBeUndefined();
    expect(locateError('not an error', root)).toBeUndefined();
  });
});

describe('describeStartupError', () => {
  it('prints the message, the position relative to the root and the code frame', () => {
    const root = mkdtempSync(join(tmpdir(), 'zephyr-frame-'));
    writeFileSync(join(root, 'a.ts'), 'export const a = 1;\nthrow new Error("nope");\n');
    const err = new Error('nope');
    err.stack = `Error: nope\n    at ${join(root, 'a.ts')}:2:7`;
    expect(describeStartupError(err, root)).toBe(
      [
        'Error: nope',
        '  at a.ts:2:7',
        '  1 | export const a = 1;',
        '> 2 | throw new Error("nope");',
        '    |       ^',
      ].join('\n'),
    );
  });

  it("prints a Zephyr error's message and code without a stack", () => {
    const err = Object.assign(new Error('server.port: expected a number'), {
      code: 'ZEPHYR_ERR_CONFIG_INVALID',
    });
    err.stack = 'Error: x\n    at /elsewhere/config.js:1:1';
    expect(describeStartupError(err, '/app')).toBe(
      'Error: server.port: expected a number (ZEPHYR_ERR_CONFIG_INVALID)',
    );
  });
});

describe('the watch', () => {
  it('ignores dependencies, build output, VCS data, the embedded database and editor droppings', () => {
    for (const path of [
      'node_modules/x/a.ts',
      'dist/app.js',
      '.git/HEAD',
      '.zephyr/pglite/x',
      'src/a.ts~',
      'src/.a.ts.swp',
    ]) {
      expect(isIgnoredPath('/app', `/app/${path}`), path).toBe(true);
    }
    for (const path of ['src/a.ts', 'zephyr.config.yaml', 'src/dist-helpers.ts']) {
      expect(isIgnoredPath('/app', `/app/${path}`), path).toBe(false);
    }
  });
});
