// napi-rs's per-platform layout: the freshly built `.node` goes into the platform package under
// npm/<triple>/, which is the package users actually download; the copy beside native.cjs stays
// for the workspace, where the loader finds it first.
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
for (const file of readdirSync(root)) {
  const match = /^zephyr-uring\.(.+)\.node$/.exec(file);
  if (match) copyFileSync(join(root, file), join(root, 'npm', match[1], file));
}
