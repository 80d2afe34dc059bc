// stopAccepting(): the listener closes, the open connections (idle keep-alive ones too) keep
// being served. `zephyr dev` hands its port over to a new generation of the app this way.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type EngineServer, listen } from '../../src/index.js';
import { ENGINES, open, parseResponses, sleep, start, stop } from './harness.js';

/** Sends one keep-alive GET on `socket` and resolves with its response's body. */
function get(socket: Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      const [response] = parseResponses(text);
      const length = Number(response?.headers.get('content-length') ?? -1);
      if (response && response.body.length === length) {
        socket.off('data', onData);
        socket.off('close', onClose);
        resolve(response.body);
      }
    };
    const onClose = (): void => reject(new Error(`the connection closed; got ${JSON.stringify(text)}`));
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  });
}

/** Resolves with the error code of a new connection to `port` (`ok` when it connects). */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve('ok');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

const servers: EngineServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await stop(server);
});

describe.each(ENGINES)('%s engine: stopAccepting()', (engine) => {
  it('closes the listener and keeps serving open keep-alive connections, idle ones included', async () => {
    const server = await start(engine, (req, res) => res.end(req.path));
    servers.push(server);
    const busy = await open(server.port);
    const idle = await open(server.port);
    expect(await get(busy, '/one')).toBe('/one');
    expect(await get(idle, '/one')).toBe('/one');
    expect(server.connections).toBe(2);

    await server.stopAccepting();
    await server.stopAccepting(); // idempotent
    expect(await tryConnect(server.port)).toBe('ECONNREFUSED');
    // The idle connection was not closed under its client: reusing it now works.
    expect(await get(idle, '/two')).toBe('/two');
    expect(await get(busy, '/two')).toBe('/two');
    expect(server.connections).toBe(2);

    busy.destroy();
    idle.destroy();
    const deadline = Date.now() + 5000;
    while (server.connections > 0 && Date.now() < deadline) await sleep(10);
    expect(server.connections).toBe(0);
    await server.close({ timeoutMs: 1000 });
  });

  it('lets close() drain a request in flight after it', async () => {
    const server = await start(engine, async (req, res) => {
      await sleep(200);
      res.end(req.path);
    });
    servers.push(server);
    const socket = await open(server.port);
    const answer = get(socket, '/slow');
    await sleep(50);
    await server.stopAccepting();
    await server.close({ timeoutMs: 5000 });
    expect(await answer).toBe('/slow');
  });
});

describe('io_uring engine: stopAccepting() beside a SO_REUSEPORT listener', () => {
  it('sends every new connection to the other listener while its own keep serving', async () => {
    const old = await listen({ port: 0, engine: 'io_uring', reusePort: true }, (_req, res) => res.end('old'));
    servers.push(old);
    const next = await listen({ port: old.port, engine: 'io_uring', reusePort: true }, (_req, res) =>
      res.end('new'),
    );
    servers.push(next);
    // The kernel spreads new connections over both sockets: keep one that reached the old one.
    let kept = await open(old.port);
    for (let tries = 1; (await get(kept, '/')) !== 'old'; tries++) {
      kept.destroy();
      expect(tries).toBeLessThan(100);
      kept = await open(old.port);
    }
    await old.stopAccepting();
    for (let i = 0; i < 40; i++) {
      const socket = await open(old.port);
      expect(await get(socket, '/')).toBe('new');
      socket.destroy();
    }
    expect(await get(kept, '/')).toBe('old');
    kept.destroy();
  });
});
