import type { z } from 'zod';
import { bodyMediaTypes } from '../body/body-media-types.js';
import { statusText } from '../errors.js';
import type { RouteOptions } from '../route-schema.js';
import { type JsonSchema, SchemaCollector } from './json-schema.js';

/** The `info` object of an OpenAPI document. */
export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

/** Options of {@link generateOpenApi}. */
export interface OpenApiOptions {
  /** Default `{ title: 'API', version: '0.0.0' }`. */
  info?: OpenApiInfo;
  /** `servers` of the document, e.g. `[{ url: 'https://api.example.com' }]`. */
  servers?: ReadonlyArray<{ url: string; description?: string }>;
}

/** One operation (a route's method) of the document. */
export interface OpenApiOperation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Array<{
    name: string;
    in: 'path' | 'query' | 'header';
    required: boolean;
    schema: JsonSchema;
  }>;
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  /** By status (`'2XX'`, `'201'`, `'400'`, … and `'default'`). */
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
}

/** An OpenAPI 3.1 document, as generated from the routes. */
export interface OpenApiDocument {
  openapi: '3.1.1';
  info: OpenApiInfo;
  servers?: Array<{ url: string; description?: string }>;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema> };
}

/** What the generator needs of a route. */
export interface DocumentedRoute {
  readonly method: string;
  readonly path: string;
  readonly options: RouteOptions;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const PROBLEM_MEDIA = 'application/problem+json';

/** The schema of every error body (RFC 9457 problem details, as the server writes them). */
const PROBLEM_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    code: { type: 'string', description: 'A stable code, ZEPHYR_ERR_* for Zephyr’s own errors' },
    requestId: { type: 'string' },
    issues: {
      type: 'array',
      items: {
        type: 'object',
        required: ['in', 'path', 'message'],
        properties: {
          in: { enum: ['params', 'query', 'headers', 'body'] },
          path: { type: 'string' },
          message: { type: 'string' },
        },
      },
    },
  },
};

const problemResponse = (description: string): OpenApiOperation['responses'][string] => ({
  description,
  content: { [PROBLEM_MEDIA]: { schema: { $ref: '#/components/schemas/Problem' } } },
});

/**
 * An OpenAPI 3.1 document describing `routes` from their zod schemas: path, query and header
 * parameters, request bodies (by the media types the body schema can take), responses, and the
 * problem+json error responses the server gives (400 on validation, 413 and 415 for bodies,
 * any other as `default`).
 */
export function generateOpenApi(
  routes: Iterable<DocumentedRoute>,
  options: OpenApiOptions = {},
): OpenApiDocument {
  const schemas = new SchemaCollector();
  schemas.components.Problem = PROBLEM_SCHEMA;
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const method = route.method.toLowerCase();
    if (!METHODS.has(method) || route.options.docs?.hidden) continue;
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][method] = operation(route, schemas);
  }
  const document: OpenApiDocument = {
    openapi: '3.1.1',
    info: { title: 'API', version: '0.0.0', ...options.info },
    paths,
    components: { schemas: schemas.components },
  };
  if (options.servers !== undefined) document.servers = options.servers.map((s) => ({ ...s }));
  return document;
}

/** `/users/:id/*` → `/users/{id}/{*}`. */
function openApiPath(path: string): string {
  return path.replace(/:([^/]+)/g, '{$1}').replace(/\*$/, '{*}');
}

function pathParamNames(path: string): string[] {
  const names = [...path.matchAll(/:([^/]+)/g)].map((m) => m[1]!);
  if (path.endsWith('*')) names.push('*');
  return names;
}

function operation(route: DocumentedRoute, schemas: SchemaCollector): OpenApiOperation {
  const { options } = route;
  const op: OpenApiOperation = { responses: {} };
  const docs = options.docs;
  if (docs?.operationId !== undefined) op.operationId = docs.operationId;
  if (docs?.summary !== undefined) op.summary = docs.summary;
  if (docs?.description !== undefined) op.description = docs.description;
  if (docs?.tags !== undefined) op.tags = [...docs.tags];

  const parameters: NonNullable<OpenApiOperation['parameters']> = [];
  const pathSchemas = options.params ? objectProperties(schemas.convert(options.params, 'input')) : null;
  for (const name of pathParamNames(route.path)) {
    parameters.push({
      name,
      in: 'path',
      required: true,
      schema: pathSchemas?.properties[name] ?? { type: 'string' },
    });
  }
  for (const [part, where] of [
    ['query', 'query'],
    ['headers', 'header'],
  ] as const) {
    const schema = options[part];
    if (!schema) continue;
    const object = objectProperties(schemas.convert(schema, 'input'));
    if (object === null) continue;
    for (const [name, property] of Object.entries(object.properties)) {
      parameters.push({ name, in: where, required: object.required.includes(name), schema: property });
    }
  }
  if (parameters.length > 0) op.parameters = parameters;

  if (options.body) {
    const schema = schemas.convert(options.body, 'input');
    const accepts = bodyMediaTypes(options.body);
    const content: Record<string, { schema: JsonSchema }> = { 'application/json': { schema } };
    if (accepts.form) {
      content['application/x-www-form-urlencoded'] = { schema };
      content['multipart/form-data'] = { schema };
    }
    if (accepts.text) content['text/plain'] = { schema: { type: 'string' } };
    op.requestBody = { required: !acceptsUndefined(options.body), content };
  }

  const responses: OpenApiOperation['responses'] = {};
  const response = options.response;
  if (response === undefined) responses['2XX'] = { description: 'Success' };
  else if (isSchema(response)) {
    responses['2XX'] = {
      description: 'Success',
      content: { 'application/json': { schema: schemas.convert(response, 'output') } },
    };
  } else {
    for (const [status, schema] of Object.entries(response)) {
      responses[status] = {
        description: statusText(Number(status)),
        content: { 'application/json': { schema: schemas.convert(schema, 'output') } },
      };
    }
  }
  if (options.params || options.query || options.headers || options.body) {
    responses['400'] ??= problemResponse('The request failed validation (`issues` lists each check)');
  }
  if (options.body) {
    responses['413'] ??= problemResponse('The body is over the route’s limit');
    responses['415'] ??= problemResponse('The body’s content type is not one this route takes');
  }
  responses.default = problemResponse('Any other error, as problem+json');
  op.responses = responses;
  return op;
}

function isSchema(value: unknown): value is z.ZodType {
  return typeof (value as { safeParse?: unknown }).safeParse === 'function';
}

function acceptsUndefined(schema: z.ZodType): boolean {
  try {
    return schema.safeParse(undefined).success;
  } catch {
    return false; // an async schema: not optional in any way this can tell
  }
}

/** The properties and required names of an object schema, or null for any other schema. */
function objectProperties(
  schema: JsonSchema,
): { properties: Record<string, JsonSchema>; required: string[] } | null {
  if (schema.type !== 'object' || typeof schema.properties !== 'object' || schema.properties === null)
    return null;
  return {
    properties: schema.properties as Record<string, JsonSchema>,
    required: Array.isArray(schema.required) ? (schema.required as string[]) : [],
  };
}
