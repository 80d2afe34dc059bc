import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UnsupportedOptionError } from '../errors.js';

/** Files of swagger-ui-dist the page loads, with their content types. */
const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** The reference UI (Swagger UI), served from the locally installed `swagger-ui-dist`: no CDN. */
export interface ReferenceUi {
  /** The HTML page for a document at `specUrl`, loading its assets from `assetBase`. */
  page(specUrl: string, assetBase: string, title: string): string;
  /** An asset's file and content type, or undefined for any other name. */
  asset(name: string): { path: string; size: number; contentType: string } | undefined;
}

/** Finds swagger-ui-dist; a clear error when it is not installed. */
export function loadReferenceUi(): ReferenceUi {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  } catch (err) {
    throw new UnsupportedOptionError(
      `openapi: the reference UI is served from the swagger-ui-dist package, which is not installed: npm install swagger-ui-dist, or pass ui: false (${(err as Error).message.split('\n')[0]})`,
    );
  }
  return {
    page: (specUrl, assetBase, title) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="${assetBase}/favicon-32x32.png">
<link rel="stylesheet" href="${assetBase}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${assetBase}/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: '#swagger-ui' });</script>
</body>
</html>
`,
    asset(name) {
      const contentType = ASSETS[name];
      if (contentType === undefined) return undefined;
      const path = join(dir, name);
      return { path, size: statSync(path).size, contentType };
    },
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
