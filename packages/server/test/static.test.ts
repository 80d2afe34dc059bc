import { mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, serveStatic } from '../src/index.js';
import { connect, type TestClient, TRANSPORTS } from './support/transports.js';

const base = mkdtempSync(join(tmpdir(), 'zephyr-static-'));
const root = join(base, 'public');
mkdirSync(join(root, 'sub'), { recursive: true });
mkdirSync(join(root, '.hidden'));
const alphabet = 'abcdefghijklmnopqrstuvwxyz';
writeFileSync(join(root, 'letters.txt'), alphabet);
writeFileSync(join(root, 'index.html'), '<h1>home</h1>');
writeFileSync(join(root, 'sub', 'style.css'), 'body{}');
writeFileSync(join(root, 'image.png'), Buffer.alloc(100, 7));
writeFileSync(join(root, '.hidden', 'x.txt'), 'hidden');
writeFileSync(join(base, 'secret.txt'), 'TOP SECRET');
symlinkSync(join(base, 'secret.txt'), join(root, 'escape.txt'));
symlinkSync(join(root, 'letters.txt'), join(root, 'inside-link.txt'));
const mtime = new Date('2024-01-02T03:04:05Z');
utimesSync(join(root, 'letters.txt'), mtime, mtime);

describe.each(TRANSPORTS)('static files over %s', (transport) => {
  let client: TestClient;
  beforeAll(async () => {
    const app = createApp({ logger: { debug() {}, info() {}, warn() {}, error() {} } });
    app.get('/static/*', serveStatic({ root, maxAge: 60 }));
    client = await connect(app, transport);
  });
  afterAll(() => client?.close());

  it('serves a file with type, length, validators and cache headers', async () => {
    const res = await client.request({ url: '/static/letters.txt' });
    expect(res.status).toBe(200);
    expect(res.text()).toBe(alphabet);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['content-length']).toBe('26');
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['last-modified']).toBe(mtime.toUTCString());
    expect(res.headers['cache-control']).toBe('public, max-age=60');
    expect(res.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect((await client.request({ url: '/static/sub/style.css' })).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
    expect((await client.request({ url: '/static/image.png' })).headers['content-type']).toBe('image/png');
  });

  it('serves index.html for a directory and 404 for missing files', async () => {
    expect((await client.request({ url: '/static/' })).text()).toBe('<h1>home</h1>');
    const missing = await client.request({ url: '/static/nope.txt' });
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(missing.json()).toMatchObject({
      status: 404,
      code: 'ZEPHYR_ERR_NOT_FOUND',
      detail: 'no such file',
    });
  });

  it('answers HEAD with the length and no body', async () => {
    const res = await client.request({ method: 'HEAD', url: '/static/letters.txt' });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('26');
    expect(res.body.length).toBe(0);
  });

  it('serves single byte ranges with 206', async () => {
    const mid = await client.request({ url: '/static/letters.txt', headers: { range: 'bytes=2-5' } });
    expect(mid.status).toBe(206);
    expect(mid.text()).toBe('cdef');
    expect(mid.headers['content-range']).toBe('bytes 2-5/26');
    expect(mid.headers['content-length']).toBe('4');
    const open = await client.request({ url: '/static/letters.txt', headers: { range: 'bytes=20-' } });
    expect([open.status, open.text()]).toEqual([206, 'uvwxyz']);
    const suffix = await client.request({ url: '/static/letters.txt', headers: { range: 'bytes=-3' } });
    expect([suffix.status, suffix.text(), suffix.headers['content-range']]).toEqual([
      206,
      'xyz',
      'bytes 23-25/26',
    ]);
    const clamped = await client.request({ url: '/static/letters.txt', headers: { range: 'bytes=24-99' } });
    expect([clamped.status, clamped.text()]).toEqual([206, 'yz']);
  });

  it('answers 416 for a range past the end, and ignores multi-range and malformed ranges', async () => {
    const res = await client.request({ url: '/static/letters.txt', headers: { range: 'bytes=30-40' } });
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toBe('bytes */26');
    const multi = await client.request({ url: '/static/letters.txt', headers: { range: 'bytes=0-1,4-5' } });
    expect([multi.status, multi.text()]).toEqual([200, alphabet]);
    const junk = await client.request({ url: '/static/letters.txt', headers: { range: 'lines=1-2' } });
    expect(junk.status).toBe(200);
  });

  it('honours If-Range: a stale validator gets the whole file', async () => {
    const { headers } = await client.request({ url: '/static/letters.txt' });
    const fresh = await client.request({
      url: '/static/letters.txt',
      headers: { range: 'bytes=0-0', 'if-range': headers.etag as string },
    });
    expect([fresh.status, fresh.text()]).toEqual([206, 'a']);
    const stale = await client.request({
      url: '/static/letters.txt',
      headers: { range: 'bytes=0-0', 'if-range': '"old"' },
    });
    expect([stale.status, stale.text()]).toEqual([200, alphabet]);
  });

  it('answers conditional GETs with 304', async () => {
    const { headers } = await client.request({ url: '/static/letters.txt' });
    const byTag = await client.request({
      url: '/static/letters.txt',
      headers: { 'if-none-match': headers.etag as string },
    });
    expect([byTag.status, byTag.body.length]).toEqual([304, 0]);
    const byDate = await client.request({
      url: '/static/letters.txt',
      headers: { 'if-modified-since': new Date(mtime.getTime() + 1000).toUTCString() },
    });
    expect(byDate.status).toBe(304);
    const older = await client.request({
      url: '/static/letters.txt',
      headers: { 'if-modified-since': new Date(mtime.getTime() - 1000).toUTCString() },
    });
    expect(older.status).toBe(200);
    const tagWins = await client.request({
      url: '/static/letters.txt',
      headers: {
        'if-none-match': '"other"',
        'if-modified-since': new Date(mtime.getTime() + 1000).toUTCString(),
      },
    });
    expect(tagWins.status).toBe(200);
  });

  describe('refuses every escape from the root', () => {
    const hostile: Array<[string, string]> = [
      ['a plain .. segment', '/static/../secret.txt'],
      ['.. deeper in the path', '/static/sub/../../secret.txt'],
      ['an encoded .. (%2e%2e)', '/static/%2e%2e/secret.txt'],
      ['a mixed-case encoded .. (%2E.)', '/static/%2E./secret.txt'],
      ['an encoded slash (%2f)', '/static/..%2fsecret.txt'],
      ['an encoded slash inside a name', '/static/sub%2fstyle.css'],
      ['a backslash', '/static/..\\secret.txt'],
      ['an encoded backslash (%5c)', '/static/..%5csecret.txt'],
      ['an encoded NUL (%00)', '/static/letters.txt%00.png'],
      ['a double-encoded .. (%252e%252e) taken literally', '/static/%252e%252e/secret.txt'],
    ];
    it.each(hostile)('%s', async (_name, url) => {
      const res = await client.request({ url });
      expect([403, 404]).toContain(res.status);
      expect(res.text()).not.toContain('TOP SECRET');
    });

    it('a symlink pointing outside the root (403)', async () => {
      const res = await client.request({ url: '/static/escape.txt' });
      expect(res.status).toBe(403);
      expect(res.text()).not.toContain('TOP SECRET');
    });

    it('refuses a symlink even when it stays inside the root (403): no symlink is followed', async () => {
      const res = await client.request({ url: '/static/inside-link.txt' });
      expect(res.status).toBe(403);
      expect(res.text()).not.toContain(alphabet);
    });

    it('hides dotfiles', async () => {
      expect((await client.request({ url: '/static/.hidden/x.txt' })).status).toBe(404);
    });

    it('names the refusal in a problem document', async () => {
      const res = await client.request({ url: '/static/%2e%2e/secret.txt' });
      expect(res.status).toBe(403);
      expect(res.json()).toMatchObject({ code: 'ZEPHYR_ERR_PATH_FORBIDDEN' });
    });
  });
});

describe('serveStatic options', () => {
  it('refuses a missing or absent root with ZEPHYR_ERR_INVALID_ARGUMENT', () => {
    expect(() => serveStatic({ root: '' })).toThrow(
      expect.objectContaining({ code: 'ZEPHYR_ERR_INVALID_ARGUMENT' }),
    );
    expect(() => serveStatic({ root: join(base, 'does-not-exist') })).toThrow(/does not exist/);
  });
});
