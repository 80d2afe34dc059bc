// OpenAPI 3.1 from the routes' zod schemas: what each route part becomes, that the whole document
// is valid against the OpenAPI 3.1 schema, and that it and a local reference UI are served.
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp, type OpenApiDocument } from '../src/index.js';

type SpecData = Parameters<Validator['validate']>[0];
/** A part of the document as the assertions read it; they check its shape. */
// biome-ignore lint/suspicious/noExplicitAny: the assertions below check the shape; a type per line would add nothing.
type Json = any;

import { connect, type TestClient } from './support/transports.js';

interface Node {
  name: string;
  children: Node[];
}
const tree: z.ZodType<Node> = z.lazy(() => z.object({ name: z.string(), children: z.array(tree) }));

function notesApp() {
  const app = createApp({ logger: { debug() {}, info() {}, warn() {}, error() {} } });
  const note = z.object({ id: z.number().int(), title: z.string(), tags: z.array(z.string()) });
  app.get(
    '/notes',
    {
      query: z.object({
        first: z.coerce.number().int().min(1).max(100).default(20),
        after: z.string().optional(),
      }),
      response: z.object({ rows: z.array(note), next: z.string().nullable() }),
      docs: { summary: 'List notes', tags: ['notes'], operationId: 'listNotes' },
    },
    (ctx) => ctx.json({ rows: [], next: null }),
  );
  app.post(
    '/users/:id/notes',
    {
      params: z.object({ id: z.coerce.number().int().positive() }),
      headers: z.object({ 'x-tenant': z.string().min(1) }),
      body: z.strictObject({ title: z.string().min(1), body: z.string().default('') }),
      response: { 201: note, 409: z.object({ conflict: z.string() }) },
    },
    (ctx) => ctx.json({ id: 1, title: ctx.body.title, tags: [] }, 201),
  );
  app.put('/echo', { body: z.string() }, (ctx) => ctx.text(ctx.body));
  app.post('/trees', { body: tree }, (ctx) => ctx.json(ctx.body));
  app.get('/files/*', (ctx) => ctx.text(ctx.params['*']));
  app.get('/internal', { docs: { hidden: true } }, (ctx) => ctx.text('x'));
  return app;
}

describe('the generated document', () => {
  const doc = notesApp().openApiDocument({ info: { title: 'Notes', version: '1.2.3' } });

  it('is valid OpenAPI 3.1 (checked against the official schema)', async () => {
    const result = await new Validator().validate(structuredClone(doc) as unknown as SpecData);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.1');
    expect(doc.info).toEqual({ title: 'Notes', version: '1.2.3' });
    // The validator does reject: here, a path without its leading slash.
    const broken = structuredClone(doc) as unknown as { paths: Record<string, unknown> };
    broken.paths.notes = broken.paths['/notes'];
    expect((await new Validator().validate(broken as unknown as SpecData)).valid).toBe(false);
  });

  it('turns path, query and header schemas into parameters', () => {
    const list = doc.paths['/notes']!.get!;
    expect(list).toMatchObject({ summary: 'List notes', tags: ['notes'], operationId: 'listNotes' });
    expect(list.parameters).toEqual([
      {
        name: 'first',
        in: 'query',
        required: false,
        schema: expect.objectContaining({ type: 'integer', maximum: 100 }),
      },
      { name: 'after', in: 'query', required: false, schema: { type: 'string' } },
    ]);
    const create = doc.paths['/users/{id}/notes']!.post as { parameters: unknown[] };
    expect(create.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: expect.objectContaining({ type: 'integer' }) },
      { name: 'x-tenant', in: 'header', required: true, schema: { type: 'string', minLength: 1 } },
    ]);
    expect((doc.paths['/files/{*}']!.get as { parameters: unknown[] }).parameters).toEqual([
      { name: '*', in: 'path', required: true, schema: { type: 'string' } },
    ]);
  });

  it('describes bodies by the media types the schema takes, and responses by status', () => {
    const create = doc.paths['/users/{id}/notes']!.post as Json;
    expect(Object.keys(create.requestBody.content)).toEqual([
      'application/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
    ]);
    expect(create.requestBody.required).toBe(true);
    expect(create.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      required: ['title'],
      additionalProperties: false,
    });
    expect(create.responses['201'].content['application/json'].schema.required).toEqual([
      'id',
      'title',
      'tags',
    ]);
    expect(create.responses['409'].description).toBe('Conflict');
    const echo = doc.paths['/echo']!.put as Json;
    expect(Object.keys(echo.requestBody.content)).toEqual(['application/json', 'text/plain']);
  });

  it('gives every error response as problem+json', () => {
    const create = doc.paths['/users/{id}/notes']!.post as Json;
    for (const status of ['400', '413', '415', 'default']) {
      expect(create.responses[status].content).toEqual({
        'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
      });
    }
    expect(doc.components.schemas.Problem).toMatchObject({
      required: ['type', 'title', 'status', 'detail', 'code'],
    });
    // A route without request schemas cannot fail validation: no 400.
    expect((doc.paths['/files/{*}']!.get as Json).responses['400']).toBeUndefined();
  });

  it('moves recursive schemas to components with working $refs, and leaves hidden routes out', () => {
    const trees = doc.paths['/trees']!.post as Json;
    const ref = trees.requestBody.content['application/json'].schema.$ref as string;
    expect(ref).toMatch(/^#\/components\/schemas\//);
    expect(JSON.stringify(doc)).not.toContain('#/$defs');
    expect(doc.components.schemas[ref.split('/').pop()!]).toMatchObject({ type: 'object' });
    expect(doc.paths['/internal']).toBeUndefined();
  });
});

describe('app.openapi() serves the document and a local reference UI', () => {
  let client: TestClient;
  beforeAll(async () => {
    const app = notesApp();
    app.openapi({ info: { title: 'Notes', version: '1.0.0' }, path: '/spec.json', ui: '/reference' });
    client = await connect(app, 'node');
  });
  afterAll(() => client?.close());

  it('serves the document at the configured path, itself left out of it', async () => {
    const res = await client.request({ url: '/spec.json' });
    expect(res.status).toBe(200);
    const doc = res.json<OpenApiDocument>();
    expect(Object.keys(doc.paths)).toContain('/notes');
    expect(Object.keys(doc.paths)).not.toContain('/spec.json');
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/reference'))).toBe(false);
  });

  it('serves the UI page and its assets from swagger-ui-dist, nothing from a CDN', async () => {
    const page = await client.request({ url: '/reference' });
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = page.text();
    expect(html).toContain('"/spec.json"');
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(sources.every((s) => s.startsWith('/reference/assets/'))).toBe(true);
    for (const source of sources) {
      const asset = await client.request({ url: source });
      expect(asset.status, source).toBe(200);
      expect(asset.body.length, source).toBe(Number(asset.headers['content-length']));
      expect(asset.body.length, source).toBeGreaterThan(500);
    }
    const bundle = await client.request({ url: '/reference/assets/swagger-ui-bundle.js' });
    expect(bundle.text()).toContain('SwaggerUIBundle');
    expect((await client.request({ url: '/reference/assets/..%2fpackage.json' })).status).toBe(404);
  });

  it('refuses a path that is not a static absolute path', () => {
    expect(() => createApp().openapi({ path: 'openapi.json' })).toThrow(
      expect.objectContaining({ code: 'ZEPHYR_ERR_INVALID_ARGUMENT' }),
    );
  });
});
