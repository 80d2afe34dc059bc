import type { z } from 'zod';
import { bodyMediaTypes } from './body/body-media-types.js';
import type { Context } from './context.js';
import { ValidationError, type ValidationIssue } from './errors.js';
import type { RouteSchema } from './route-schema.js';

type Part = ValidationIssue['in'];

/**
 * Builds, once per route, the step that validates the request parts the route has schemas for,
 * collecting the issues of every part before failing so the client sees all of them at once.
 * Returns `null` when the route has no request schema, so such routes pay nothing.
 */
export function compileValidator(schema: RouteSchema): ((ctx: Context) => Promise<void>) | null {
  const { params, query, headers, body } = schema;
  if (!params && !query && !headers && !body) return null;
  const accepts = body ? bodyMediaTypes(body) : undefined;
  return async (ctx) => {
    const issues: ValidationIssue[] = [];
    if (params) {
      const result = params.safeParse(ctx.params);
      if (result.success) ctx.params = result.data as Record<string, string>;
      else collect(issues, 'params', result.error);
    }
    if (query) {
      const result = query.safeParse(ctx.query);
      if (result.success) ctx.query = result.data as Record<string, string>;
      else collect(issues, 'query', result.error);
    }
    if (headers) {
      const result = headers.safeParse(ctx.headers);
      if (result.success) ctx.headers = result.data as Record<string, string>;
      else collect(issues, 'headers', result.error);
    }
    if (body) {
      const result = await body.safeParseAsync(await ctx.req.parsedBody(accepts));
      if (result.success) ctx.body = result.data;
      else collect(issues, 'body', result.error);
    }
    if (issues.length > 0) throw new ValidationError(issues);
  };
}

function collect(issues: ValidationIssue[], part: Part, error: z.ZodError): void {
  for (const issue of error.issues) {
    issues.push({ in: part, path: issue.path.map(String).join('.'), message: issue.message });
  }
}
