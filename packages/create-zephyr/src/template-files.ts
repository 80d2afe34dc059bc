import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Template } from './create-options.js';

const TEMPLATES_DIR = new URL('../templates/', import.meta.url);

/** Each template is layers of files; a later layer's file replaces an earlier one of the same path. */
const LAYERS: Record<Template, readonly string[]> = {
  minimal: ['base', 'minimal'],
  api: ['base', 'api'],
  full: ['base', 'api', 'full'],
};

// npm drops `.gitignore` from published packages, so the template holds it without the dot.
const RENAMED: Record<string, string> = { gitignore: '.gitignore' };

/** A file to write: its path in the app and its text with `{{placeholders}}` filled. */
export interface TemplateFile {
  path: string;
  text: string;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/**
 * The files of `template`, with each `{{key}}` replaced from `values`.
 *
 * @throws Error when a file names a placeholder `values` lacks (a template bug, caught by the tests).
 */
export function templateFiles(template: Template, values: Readonly<Record<string, string>>): TemplateFile[] {
  const files = new Map<string, string>();
  for (const layer of LAYERS[template]) {
    const root = new URL(`${layer}/`, TEMPLATES_DIR).pathname;
    for (const file of walk(root)) {
      const path = relative(root, file);
      files.set(RENAMED[path] ?? path, readFileSync(file, 'utf8'));
    }
  }
  return [...files]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([path, text]) => ({
      path,
      text: text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
        const value = values[key];
        if (value === undefined)
          throw new Error(`template ${template}: ${path} uses {{${key}}}, which has no value`);
        return value;
      }),
    }));
}
