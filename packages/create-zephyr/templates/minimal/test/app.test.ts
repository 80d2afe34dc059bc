import type { Server } from '@zephyr/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';

describe('GET /', () => {
  it('greets (in memory, no socket)', async () => {
    const res = await buildApp().inject({ method: 'GET', url: '/' });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ name: '{{name}}', message: 'Hello from Zephyr' });
  });

  describe('over HTTP', () => {
    let server: Server;
    beforeAll(async () => {
      server = await buildApp().listen({ port: 0 });
    });
    afterAll(() => server?.close());

    it('greets a real client', async () => {
      const res = await fetch(`http://${server.host}:${server.port}/`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ message: 'Hello from Zephyr' });
    });
  });
});
