import { timingSafeEqual } from 'node:crypto';
import type { App, Context } from '@zephyr/server';
import { DashboardUnauthorizedError } from '../devtools-errors.js';
import { dashboardPage } from './dashboard-page.js';
import { type DashboardInputs, dashboardSnapshot } from './dashboard-snapshot.js';

/** Where the dashboard is served. */
export const DASHBOARD_PATH = '/_zephyr';

function tokenOf(ctx: Context): string | undefined {
  const bearer = /^Bearer (.+)$/i.exec(ctx.req.header('authorization') ?? '')?.[1];
  return bearer ?? new URLSearchParams(ctx.req.queryString).get('token') ?? undefined;
}

function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Serves the dashboard page at `/_zephyr` and its data at `/_zephyr/api/stats`. With a `token`,
 * both refuse (401) a request that does not carry it as `Authorization: Bearer <token>` or
 * `?token=<token>`.
 */
export function mountDashboard(app: App, inputs: DashboardInputs, token: string | undefined): void {
  const check = (ctx: Context): void => {
    if (token !== undefined && !sameToken(tokenOf(ctx), token)) throw new DashboardUnauthorizedError();
  };
  const apiPath = `${DASHBOARD_PATH}/api/stats`;
  // The app's own API description (app.openapi()) is no place for its developer tools.
  const hidden = { docs: { hidden: true } } as const;
  app.get(DASHBOARD_PATH, hidden, (ctx) => {
    check(ctx);
    ctx.res.headers['cache-control'] = 'no-store';
    return ctx.html(dashboardPage(apiPath));
  });
  app.get(apiPath, hidden, async (ctx) => {
    check(ctx);
    ctx.res.headers['cache-control'] = 'no-store';
    return ctx.json(await dashboardSnapshot(inputs));
  });
}
