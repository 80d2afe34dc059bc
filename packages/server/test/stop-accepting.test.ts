// Server.stopAccepting(): the listener of this process closes while its keep-alive connections
// keep being served, on both engines.
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/index.js';

function get(url: string, agent: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

function connectError(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe.each(['io_uring', 'node'] as const)('server.stopAccepting() on the %s engine', (engine) => {
  it('refuses new connections and keeps serving the idle keep-alive one', async () => {
    const app = createApp();
    app.get('/', (ctx) => ctx.text('hi'));
    const server = await app.listen({ port: 0, engine });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const url = `http://127.0.0.1:${server.port}/`;
      expect(await get(url, agent)).toBe('hi');
      await server.stopAccepting();
      expect(await connectError(server.port)).toBe('ECONNREFUSED');
      // The pooled connection, idle across the stop, is reused and answered.
      expect(await get(url, agent)).toBe('hi');
    } finally {
      agent.destroy();
      await server.close();
    }
  });
});
