// openBeneath, the public face of crates/zephyr-uring/src/open_beneath.rs: a plain relative path
// opens beneath the root descriptor; any symlink, `..` or absolute path is refused.
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileOpenError, openBeneath, openBeneathAvailable } from '../src/index.js';

const base = mkdtempSync(join(tmpdir(), 'zephyr-open-beneath-'));
const rootPath = join(base, 'root');
mkdirSync(join(rootPath, 'sub'), { recursive: true });
writeFileSync(join(rootPath, 'sub', 'file.txt'), 'inside');
writeFileSync(join(base, 'secret.txt'), 'SECRET');
symlinkSync('file.txt', join(rootPath, 'sub', 'link.txt'));
symlinkSync(base, join(rootPath, 'up'));
execFileSync('mkfifo', [join(rootPath, 'pipe')]);
const root = openSync(rootPath, constants.O_RDONLY | constants.O_DIRECTORY);
afterAll(() => {
  closeSync(root);
  rmSync(base, { recursive: true, force: true });
});

function readAll(fd: number): string {
  const buffer = Buffer.alloc(64);
  const n = readSync(fd, buffer, 0, buffer.length, 0);
  return buffer.subarray(0, n).toString();
}

async function refusal(path: string): Promise<FileOpenError> {
  const err = await openBeneath(root, path).then(
    (fd) => {
      closeSync(fd);
      throw new Error(`${path} opened`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FileOpenError);
  return err as FileOpenError;
}

describe('openBeneath', () => {
  it('is available with the native binding built for this platform', () => {
    expect(openBeneathAvailable()).toBe(true);
  });

  it('opens a file beneath the root and hands the descriptor to the caller', async () => {
    const fd = await openBeneath(root, 'sub/file.txt');
    try {
      expect(readAll(fd)).toBe('inside');
    } finally {
      closeSync(fd);
    }
  });

  it('opens the root itself for an empty path, and a directory as a directory', async () => {
    for (const path of ['', 'sub']) {
      const fd = await openBeneath(root, path);
      expect(fstatSync(fd).isDirectory()).toBe(true);
      closeSync(fd);
    }
  });

  it('opens a FIFO without waiting for a writer', async () => {
    const fd = await openBeneath(root, 'pipe');
    expect(fstatSync(fd).isFIFO()).toBe(true);
    closeSync(fd);
  });

  it('refuses every symlink with ELOOP, even one that stays inside the root', async () => {
    expect((await refusal('sub/link.txt')).errno).toBe('ELOOP');
    expect((await refusal('up/secret.txt')).errno).toBe('ELOOP');
    const err = await refusal('up/secret.txt');
    expect(err.code).toBe('ZEPHYR_ERR_FILE_OPEN_FAILED');
    expect(err.path).toBe('up/secret.txt');
  });

  it('reports a missing file as ENOENT and a file used as a directory as ENOTDIR', async () => {
    expect((await refusal('nope')).errno).toBe('ENOENT');
    expect((await refusal('sub/file.txt/x')).errno).toBe('ENOTDIR');
  });

  it.each(['/etc/passwd', '../secret.txt', 'sub/../sub/file.txt', './sub', 'sub//file.txt', 'sub/', 'a\0b'])(
    'throws ZEPHYR_ERR_INVALID_ARGUMENT for the path %j before touching the disk',
    (path) => {
      expect(() => openBeneath(root, path)).toThrow(
        expect.objectContaining({ code: 'ZEPHYR_ERR_INVALID_ARGUMENT' }),
      );
    },
  );

  it.each([-1, 1.5, Number.NaN])('throws ZEPHYR_ERR_INVALID_ARGUMENT for the root descriptor %s', (fd) => {
    expect(() => openBeneath(fd, 'sub/file.txt')).toThrow(
      expect.objectContaining({ code: 'ZEPHYR_ERR_INVALID_ARGUMENT' }),
    );
  });
});
