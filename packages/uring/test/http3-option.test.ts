// `http3: true` is a startup error on both engines, naming why that engine cannot serve HTTP/3,
// rather than a listener that quietly serves TCP alone; `http3: false` changes nothing.
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { listen } from '../src/listen.js';
import { ENGINES } from './conformance/harness.js';

const ok = () => {};

describe.each(ENGINES)('http3 on the %s engine', (engine) => {
  it('is refused at startup with ZEPHYR_ERR_HTTP3_UNAVAILABLE and the reason', async () => {
    const reason =
      engine === 'node'
        ? /the node engine has no HTTP\/3: node ships no QUIC/
        : /io_uring engine does not serve HTTP\/3 yet/;
    const refused = listen({ port: 0, engine, http3: true }, ok);
    await expect(refused).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_HTTP3_UNAVAILABLE',
      name: 'Http3UnavailableError',
    });
    await expect(refused).rejects.toThrow(reason);
  });

  it('binds nothing when refused', async () => {
    // A port picked by the OS and released: a refused listen must leave it free to bind again.
    const probe = await listen({ port: 0, engine }, ok);
    const port = probe.port;
    await probe.close();
    await expect(listen({ port, engine, http3: true }, ok)).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_HTTP3_UNAVAILABLE',
    });
    const refusedConnection = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.on('error', () => resolve(true));
    });
    expect(refusedConnection).toBe(true);
  });

  it('false serves as if it were absent', async () => {
    const server = await listen({ port: 0, engine, http3: false }, (_req, res) => res.end('tcp'));
    try {
      expect(await (await fetch(`http://127.0.0.1:${server.port}/`)).text()).toBe('tcp');
    } finally {
      await server.close();
    }
  });
});

describe('the http3 option', () => {
  it('must be a boolean', async () => {
    await expect(listen({ port: 0, http3: 'yes' as unknown as boolean }, ok)).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_INVALID_ARGUMENT',
      message: 'http3 must be a boolean, got "yes"',
    });
  });
});
