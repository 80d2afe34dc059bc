import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/index.js';
import { connect, type TestClient, TRANSPORTS } from './support/transports.js';

const secret = 'a-secret-of-at-least-16-chars';

describe.each(TRANSPORTS)('cookies over %s', (transport) => {
  let client: TestClient;
  beforeAll(async () => {
    const app = createApp({ cookieSecret: secret });
    app.get('/set', (ctx) =>
      ctx
        .setCookie('plain', 'a b;c', { maxAge: 60, sameSite: 'Lax' })
        .setCookie('session', 'user-7', { signed: true, secure: true })
        .text('set'),
    );
    app.get('/read', (ctx) =>
      ctx.json({ plain: ctx.cookie('plain'), session: ctx.signedCookie('session') ?? null }),
    );
    app.get('/clear', (ctx) => ctx.deleteCookie('session').text('cleared'));
    client = await connect(app, transport);
  });
  afterAll(() => client?.close());

  it('sets plain and signed cookies with attributes', async () => {
    const res = await client.request({ url: '/set' });
    const cookies = res.headers['set-cookie'] as string[];
    expect(cookies).toHaveLength(2);
    expect(cookies[0]).toBe('plain=a%20b%3Bc; Max-Age=60; Path=/; HttpOnly; SameSite=Lax');
    expect(cookies[1]).toMatch(/^session=user-7\.[\w-]{43}; Path=\/; HttpOnly; Secure$/);
  });

  it('reads back a signed cookie and rejects a tampered one', async () => {
    const set = await client.request({ url: '/set' });
    const signed = (set.headers['set-cookie'] as string[])[1]!.split(';')[0]!;
    const ok = await client.request({ url: '/read', headers: { cookie: `plain=a%20b%3Bc; ${signed}` } });
    expect(ok.json()).toEqual({ plain: 'a b;c', session: 'user-7' });
    const forged = signed.replace('user-7', 'user-1');
    const bad = await client.request({ url: '/read', headers: { cookie: forged } });
    expect(bad.json()).toEqual({ session: null });
  });

  it('deletes a cookie', async () => {
    const res = await client.request({ url: '/clear' });
    expect(res.headers['set-cookie']).toBe('session=; Max-Age=0; Path=/; HttpOnly');
  });
});

describe('cookie misuse', () => {
  it('reports signed cookies without a secret as ZEPHYR_ERR_COOKIE_SECRET_MISSING', async () => {
    const app = createApp({ logger: { debug() {}, info() {}, warn() {}, error() {} } });
    app.get('/', (ctx) => ctx.setCookie('s', 'v', { signed: true }).text('x'));
    const res = await app.inject({ url: '/' });
    expect(res.status).toBe(500);
    expect(res.json()).toMatchObject({ code: 'ZEPHYR_ERR_COOKIE_SECRET_MISSING' });
  });
  it('refuses a short secret', () => {
    expect(() => createApp({ cookieSecret: 'short' })).toThrow(/at least 16/);
  });
});
