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
