// `http3` on the node engine is a startup error naming why (node ships no QUIC), rather than a
// listener that quietly serves TCP alone; `http3: false` changes nothing on either engine. The
// io_uring engine's HTTP/3 is tested in http3.test.ts.
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { listen } from '../src/listen.js';
import { ENGINES } from './conformance/harness.js';
import { localhostCertificate } from './tls-fixture.js';

const ok = () => {};

describe('http3 on the node engine', () => {
  it('is refused at startup with ZEPHYR_ERR_HTTP3_UNAVAILABLE and the reason', async () => {
    const { cert, key } = localhostCertificate();
    const refused = listen({ port: 0, engine: 'node', tls: { cert, key }, http3: true }, ok);
    await expect(refused).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_HTTP3_UNAVAILABLE',
      name: 'Http3UnavailableError',
    });
    await expect(refused).rejects.toThrow(/the node engine has no HTTP\/3: node ships no QUIC/);
  });

  it('binds nothing when refused', async () => {
    // A port picked by the OS and released: a refused listen must leave it free to bind again.
    const probe = await listen({ port: 0, engine: 'node' }, ok);
    const port = probe.port;
    await probe.close();
    const { cert, key } = localhostCertificate();
    await expect(listen({ port, engine: 'node', tls: { cert, key }, http3: true }, ok)).rejects.toMatchObject(
      {
        code: 'ZEPHYR_ERR_HTTP3_UNAVAILABLE',
      },
    );
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
});

describe.each(ENGINES)('http3: false on the %s engine', (engine) => {
  it('serves as if it were absent', async () => {
    const server = await listen({ port: 0, engine, http3: false }, (_req, res) => res.end('tcp'));
    try {
      expect(await (await fetch(`http://127.0.0.1:${server.port}/`)).text()).toBe('tcp');
    } finally {
      await server.close();
    }
  });
});
