import { describe, expect, it } from 'vitest';
import { RadixRouter } from '../src/index.js';

function build(routes: Array<[string, string]>): RadixRouter<string> {
  const router = new RadixRouter<string>();
  for (const [method, path] of routes) router.add(method, path, `${method} ${path}`);
  return router;
}

describe('RadixRouter', () => {
  const router = build([
    ['GET', '/'],
    ['GET', '/users'],
    ['GET', '/users/me'],
    ['GET', '/users/:id'],
    ['PUT', '/users/:id'],
    ['GET', '/users/:id/posts/:postId'],
    ['GET', '/uploads/*'],
    ['GET', '/a/:x/c'],
    ['GET', '/a/b/d'],
    ['GET', '/search'],
    ['GET', '/searches'],
  ]);

  it('matches static routes with one shared result object (no allocation)', () => {
    const first = router.match('GET', '/users/me');
    expect(first).toMatchObject({ found: true, value: 'GET /users/me', params: {} });
    expect(router.match('GET', '/users/me')).toBe(first);
    expect(router.match('GET', '/search')).toMatchObject({ value: 'GET /search' });
    expect(router.match('GET', '/searches')).toMatchObject({ value: 'GET /searches' });
  });

  it('returns shared objects for misses too', () => {
    const miss = router.match('GET', '/nowhere/at/all');
    expect(miss).toEqual({ found: false, allow: null });
    expect(router.match('GET', '/other')).toBe(miss);
  });

  it('prefers static over param over wildcard, with backtracking', () => {
    expect(router.match('GET', '/users/42')).toEqual({
      found: true,
      value: 'GET /users/:id',
      params: { id: '42' },
    });
    expect(router.match('GET', '/users/42/posts/7')).toMatchObject({ params: { id: '42', postId: '7' } });
    // `/a/b/...` enters the static `b` branch first, fails on `c`, and backtracks to `:x`.
    expect(router.match('GET', '/a/b/c')).toMatchObject({ value: 'GET /a/:x/c', params: { x: 'b' } });
    expect(router.match('GET', '/a/b/d')).toMatchObject({ value: 'GET /a/b/d' });
    expect(router.match('GET', '/uploads/x/y.png')).toMatchObject({ params: { '*': 'x/y.png' } });
    expect(router.match('GET', '/uploads/')).toMatchObject({ params: { '*': '' } });
  });

  it('lets a lower-precedence route answer a method the higher one lacks', () => {
    const byMethod = build([
      ['GET', '/users/me'],
      ['POST', '/users/:id'],
      ['GET', '/files/readme'],
      ['PUT', '/files/*'],
    ]);
    expect(byMethod.match('GET', '/users/me')).toMatchObject({ value: 'GET /users/me' });
    expect(byMethod.match('POST', '/users/me')).toEqual({
      found: true,
      value: 'POST /users/:id',
      params: { id: 'me' },
    });
    expect(byMethod.match('PUT', '/files/readme')).toMatchObject({
      value: 'PUT /files/*',
      params: { '*': 'readme' },
    });
  });

  it('answers 405 with the methods of every route that has the path', () => {
    const byMethod = build([
      ['GET', '/users/me'],
      ['POST', '/users/:id'],
      ['PUT', '/users/*'],
    ]);
    expect(byMethod.match('DELETE', '/users/me')).toEqual({ found: false, allow: 'GET, HEAD, POST, PUT' });
    expect(byMethod.match('DELETE', '/users/7')).toEqual({ found: false, allow: 'POST, PUT' });
    expect(byMethod.match('DELETE', '/users/7/x')).toEqual({ found: false, allow: 'PUT' });
    expect(byMethod.match('DELETE', '/elsewhere')).toEqual({ found: false, allow: null });
  });

  it('does not let a param match an empty segment', () => {
    expect(router.match('GET', '/users//posts/1')).toEqual({ found: false, allow: null });
  });

  it('decodes params and passes malformed escapes through', () => {
    expect(router.match('GET', '/users/a%20b')).toMatchObject({ params: { id: 'a b' } });
    expect(router.match('GET', '/users/%E0%A4%A')).toMatchObject({ params: { id: '%E0%A4%A' } });
  });

  it('reports 405 with the allowed methods, HEAD implied by GET', () => {
    expect(router.match('DELETE', '/users/1')).toEqual({ found: false, allow: 'GET, HEAD, PUT' });
    expect(router.match('POST', '/users')).toEqual({ found: false, allow: 'GET, HEAD' });
    expect(router.match('HEAD', '/users/1')).toMatchObject({ found: true, value: 'GET /users/:id' });
  });

  it('prefers an explicit HEAD route', () => {
    const r = build([
      ['GET', '/x'],
      ['HEAD', '/x'],
    ]);
    expect(r.match('HEAD', '/x')).toMatchObject({ value: 'HEAD /x' });
  });

  it('rejects conflicts and malformed patterns at registration', () => {
    const r = build([['GET', '/p/:id']]);
    expect(() => r.add('GET', '/p/:id', 'again')).toThrow('route GET /p/:id conflicts with route GET /p/:id');
    expect(() => r.add('GET', '/p/:other', 'renamed')).toThrow(/:other.*GET \/p\/:id.*:id/);
    expect(() => r.add('GET', 'no-slash', 'x')).toThrow(/must start with/);
    expect(() => r.add('GET', '/f/*/x', 'x')).toThrow(/last segment/);
    expect(() => r.add('GET', '/f/:a/:a', 'x')).toThrow(/twice/);
    expect(() => r.add('GET', '/f/a:b', 'x')).toThrow(/whole segment/);
    expect(() => r.add('GET', '/f/:1x', 'x')).toThrow(/identifier/);
    const w = build([['GET', '/w/*']]);
    expect(() => w.add('GET', '/w/*', 'x')).toThrow(/conflicts/);
  });
});
