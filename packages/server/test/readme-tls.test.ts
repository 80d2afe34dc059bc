// Runs the README's HTTPS example as written, in a folder holding the certificates it names,
// against the built package (its import pointed at dist/index.js).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../../scripts/self-signed-cert.mjs';

const here = import.meta.dirname;
const readme = readFileSync(join(here, '../README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## HTTPS\n'));
const example = /```js\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'zephyr-readme-tls-'));
  selfSignedCertificate({ cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') });
  selfSignedCertificate({ cert: join(dir, 'renewed.pem'), key: join(dir, 'renewed.key') });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README: HTTPS', () => {
  it.each(['node', 'io_uring'])(
    'runs on the %s engine: serves over TLS, reloads, counts the handshake',
    async (engine) => {
      expect(example.startsWith('// https.mjs\n')).toBe(true);
      const dist = JSON.stringify(join(here, '../dist/index.js'));
      const script = example.replace("from '@zephyr/server'", `from ${dist}`);
      const out = await new Promise<string>((resolve, reject) => {
        execFile(
          process.execPath,
          ['--input-type=module', '-e', script],
          // fetch trusts the test certificate the way a deployment trusts its CA.
          {
            cwd: dir,
            env: { ...process.env, ZEPHYR_IO_ENGINE: engine, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') },
            timeout: 20_000,
          },
          (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
        );
      });
      expect(out).toBe('over TLS, HTTP/1.1\n1\n');
    },
  );
});
