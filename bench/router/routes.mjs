// The route table every server in this benchmark registers: 100 GET routes, 60 static and 40
// with parameters, across 10 resources, so routers are measured on a realistic mix rather than
// on a single path.
const resources = [
  'users',
  'posts',
  'comments',
  'orders',
  'products',
  'carts',
  'invoices',
  'teams',
  'projects',
  'tasks',
];

/** `[path, kind]` pairs; kind `user` is `GET /users/:id` answering the small JSON object. */
export const routes = resources.flatMap((r) => [
  [`/${r}`, 'text'],
  [`/${r}/new`, 'text'],
  [`/${r}/search`, 'text'],
  [`/${r}/stats`, 'text'],
  [`/${r}/feeds/latest`, 'text'],
  [`/${r}/export/csv`, 'text'],
  [`/${r}/:id`, r === 'users' ? 'user' : 'text'],
  [`/${r}/:id/edit`, 'text'],
  [`/${r}/:id/children/:childId`, 'text'],
  [`/${r}/archive/:year`, 'text'],
]);

if (routes.length !== 100) throw new Error(`expected 100 routes, got ${routes.length}`);

/** The body of `GET /users/:id`. */
export const user = (id) => ({ id, name: 'Ada Lovelace', email: 'ada@example.com', active: true });

export const port = Number(process.env.PORT ?? 3000);

const resourceSet = new Set(resources);
const staticTails = new Set(['new', 'search', 'stats']);

/**
 * The same routes matched by a hand-written switch, no router: what the bare servers
 * (node:http, the raw engine) use. Returns the body (`'ok'` or the user object), or null for 404.
 */
export function routeByHand(path) {
  const parts = path.split('/'); // parts[0] is '' (the leading slash)
  const resource = parts[1];
  if (!resourceSet.has(resource)) return null;
  switch (parts.length) {
    case 2:
      return 'ok';
    case 3:
      if (staticTails.has(parts[2])) return 'ok';
      return resource === 'users' ? user(parts[2]) : 'ok';
    case 4:
      if ((parts[2] === 'feeds' && parts[3] === 'latest') || (parts[2] === 'export' && parts[3] === 'csv'))
        return 'ok';
      if (parts[2] === 'archive' || parts[3] === 'edit') return 'ok';
      return null;
    case 5:
      return parts[3] === 'children' ? 'ok' : null;
    default:
      return null;
  }
}
