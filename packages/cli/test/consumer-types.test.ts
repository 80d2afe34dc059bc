// A user's project with `skipLibCheck: false` must typecheck against what we publish: every public
// package, installed from its packed tarball, imported from a strict TypeScript project.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';

const packDir = inject('packDir');

interface Packed {
  name: string;
  private: boolean;
  file: string;
}

function packedPackages(): Packed[] {
  return readdirSync(packDir)
    .filter((f) => f.endsWith('.tgz'))
    .map((f) => {
      const file = join(packDir, f);
      const manifest = JSON.parse(
        execFileSync('tar', ['-xzOf', file, 'package/package.json'], { encoding: 'utf8' }),
      );
      return { name: manifest.name as string, private: manifest.private === true, file };
    });
}

/** The packages whose files the compiler's error lines point into (`node_modules/<name>/…`). */
export function packagesNamedIn(output: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\/\S+\(\d+,\d+\): error (TS\d+: .*)/.exec(line);
    if (match && !found.has(match[1]!)) found.set(match[1]!, match[2]!);
  }
  return found;
}

describe('a consumer project with skipLibCheck: false', () => {
  it('typechecks against every published package from its tarball', () => {
    const packages = packedPackages().filter((p) => !p.private);
    // Platform binaries carry no types: installed through @zephyr/uring, not imported.
    const imported = packages.filter(
      (p) => !/-(linux|darwin|win32)-/.test(p.name) && p.name !== 'create-zephyr',
    );
    expect(imported.map((p) => p.name)).toEqual(
      expect.arrayContaining(['@zephyr/server', '@zephyr/db', 'zephyr']),
    );
    const dir = mkdtempSync(join(tmpdir(), 'zephyr-consumer-'));
    const specs = Object.fromEntries(packages.map((p) => [p.name, `file:${p.file}`]));
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'consumer',
        private: true,
        type: 'module',
        dependencies: Object.fromEntries(imported.map((p) => [p.name, specs[p.name]])),
        devDependencies: { typescript: '^5.9.3', '@types/node': '^20.19.0' },
        overrides: specs,
      }),
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          types: ['node'],
        },
        include: ['index.ts'],
      }),
    );
    writeFileSync(
      join(dir, 'index.ts'),
      `${imported.map((p, i) => `import * as p${i} from '${p.name}';`).join('\n')}\nexport const all = [${imported.map((_, i) => `p${i}`).join(', ')}];\n`,
    );
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: dir,
      stdio: 'pipe',
      timeout: 240_000,
    });
    let output = '';
    try {
      execFileSync(join(dir, 'node_modules', '.bin', 'tsc'), ['-p', '.'], {
        cwd: dir,
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (err) {
      output = `${(err as { stdout?: string }).stdout ?? ''}`;
    }
    const failing = packagesNamedIn(output);
    // One line per package whose published types break a strict consumer, with its first error.
    expect([...failing].map(([name, error]) => `${name}: ${error}`)).toEqual([]);
    expect(output).toBe('');
  });
});
