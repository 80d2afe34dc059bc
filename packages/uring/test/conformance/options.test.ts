// listen() validates every option before touching the network, and selectEngine() follows the
// documented order: options.engine, then ZEPHYR_IO_ENGINE, then the probe.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  defaultLimits,
  EngineUnavailableError,
  InvalidArgumentError,
  ioUringSupported,
  type ListenOptions,
  listen,
  selectEngine,
} from '../../src/index.js';
import { ENGINES, raw } from './harness.js';

const ok = () => {};

describe('listen options', () => {
  it('documents the contract defaults', () => {
    expect(defaultLimits).toEqual({
      maxHeaderBytes: 16384,
      maxHeaderCount: 100,
      maxUrlLength: 8192,
      maxBodyBytes: 1048576,
      headerTimeoutMs: 10_000,
      keepAliveTimeoutMs: 5_000,
      requestTimeoutMs: 300_000,
      maxConnections: 10_000,
      writeTimeoutMs: 30_000,
    });
    expect(Object.isFrozen(defaultLimits)).toBe(true);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['a non-object', 42, /listen options must be an object/],
    ['a missing port', {}, /port must be an integer from 0 to 65535/],
    ['a port past 65535', { port: 65536 }, /port must be an integer from 0 to 65535, got 65536/],
    ['a negative port', { port: -1 }, /port must be an integer/],
    ['a fractional port', { port: 80.5 }, /port must be an integer/],
    ['a string port', { port: '80' }, /port must be an integer.*got "80"/],
    ['an empty host', { port: 0, host: '' }, /host must be a non-empty string/],
    [
      'an unknown engine',
      { port: 0, engine: 'epoll' },
      /engine must be 'io_uring', 'node' or 'auto', got "epoll"/,
    ],
    ['a zero backlog', { port: 0, backlog: 0 }, /backlog must be an integer from 1/],
    ['a non-boolean reusePort', { port: 0, reusePort: 'yes' }, /reusePort must be a boolean/],
    ['a non-boolean tcpFastOpen', { port: 0, tcpFastOpen: 1 }, /tcpFastOpen must be a boolean/],
    ['an unknown option', { port: 0, hots: 'x' }, /unknown listen option hots/],
    ['limits that are not an object', { port: 0, limits: 5 }, /limits must be an object/],
    ['an unknown limit', { port: 0, limits: { maxBody: 1 } }, /unknown limit limits\.maxBody/],
    [
      'a zero limit',
      { port: 0, limits: { maxBodyBytes: 0 } },
      /limits\.maxBodyBytes must be an integer from 1/,
    ],
    ['a negative limit', { port: 0, limits: { maxConnections: -5 } }, /limits\.maxConnections must be/],
    ['a fractional limit', { port: 0, limits: { headerTimeoutMs: 1.5 } }, /limits\.headerTimeoutMs must be/],
    ['a NaN limit', { port: 0, limits: { maxHeaderCount: Number.NaN } }, /limits\.maxHeaderCount must be/],
    [
      'a header timeout above the request timeout',
      { port: 0, limits: { headerTimeoutMs: 5000, requestTimeoutMs: 1000 } },
      /headerTimeoutMs \(5000\) must not exceed limits\.requestTimeoutMs \(1000\)/,
    ],
  ];

  it.each(bad)('rejects %s with ZEPHYR_ERR_INVALID_ARGUMENT', async (_name, options, message) => {
    const attempt = listen(options as ListenOptions, ok);
    await expect(attempt).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(attempt).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(message),
    });
  });

  it('rejects a handler that is not a function', async () => {
    await expect(listen({ port: 0 }, 'nope' as never)).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_INVALID_ARGUMENT',
    });
  });

  it.each(ENGINES)('%s engine: a port in use is ZEPHYR_ERR_LISTEN_FAILED', async (engine) => {
    const first = await listen({ port: 0, engine }, (_req, res) => res.end('first'));
    try {
      await expect(listen({ port: first.port, engine }, ok)).rejects.toMatchObject({
        code: expect.stringMatching(/^ZEPHYR_ERR_/),
      });
      expect((await raw(first.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')).status).toBe(
        200,
      );
    } finally {
      await first.close();
    }
  });
});

describe.each(ENGINES)('%s engine: reusePort', (engine) => {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const nodeCanReusePort = major > 22 || (major === 22 && minor >= 12);

  it('lets two listeners share one port, or says clearly why it cannot', async () => {
    const handler = (_req: unknown, res: { end(body: string): void }) => res.end('shared');
    if (engine === 'node' && !nodeCanReusePort) {
      await expect(listen({ port: 0, engine, reusePort: true }, handler)).rejects.toMatchObject({
        code: 'ZEPHYR_ERR_UNSUPPORTED_OPTION',
        message: expect.stringContaining('node >= 22.12'),
      });
      return;
    }
    const first = await listen({ port: 0, engine, reusePort: true }, handler);
    const second = await listen({ port: first.port, engine, reusePort: true }, handler);
    try {
      expect(second.port).toBe(first.port);
      expect((await raw(first.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')).status).toBe(
        200,
      );
    } finally {
      await first.close();
      await second.close();
    }
  });
});

describe('selectEngine', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('lets options.engine win over ZEPHYR_IO_ENGINE', () => {
    vi.stubEnv('ZEPHYR_IO_ENGINE', 'io_uring');
    expect(selectEngine('node')).toEqual({
      engine: 'node',
      reason: 'the node engine was forced by options.engine',
    });
  });

  it('follows ZEPHYR_IO_ENGINE when the option is auto or absent', () => {
    vi.stubEnv('ZEPHYR_IO_ENGINE', 'node');
    expect(selectEngine().engine).toBe('node');
    expect(selectEngine('auto').reason).toMatch(/forced by ZEPHYR_IO_ENGINE/);
  });

  it('refuses an invalid ZEPHYR_IO_ENGINE by name', () => {
    vi.stubEnv('ZEPHYR_IO_ENGINE', 'uring');
    expect(() => selectEngine()).toThrow(/ZEPHYR_IO_ENGINE must be 'io_uring' or 'node', got "uring"/);
    expect(() => selectEngine()).toThrow(InvalidArgumentError);
  });

  it('auto picks io_uring exactly when the probe can set up a ring, and says why otherwise', () => {
    vi.stubEnv('ZEPHYR_IO_ENGINE', '');
    const probe = ioUringSupported();
    const selection = selectEngine();
    if (probe.supported) expect(selection.engine).toBe('io_uring');
    else {
      expect(selection.engine).toBe('node');
      expect(selection.reason).toContain(probe.reason);
    }
  });

  it('forcing io_uring where it cannot run names the probe reason', () => {
    const probe = ioUringSupported();
    if (probe.supported) {
      expect(selectEngine('io_uring').engine).toBe('io_uring');
      return;
    }
    expect(() => selectEngine('io_uring')).toThrow(EngineUnavailableError);
    expect(() => selectEngine('io_uring')).toThrow(probe.reason);
  });

  it('with a failing probe: auto falls back with one log line, forcing io_uring names the reason', async () => {
    // The kernel here has io_uring, so the probe's answer is replaced to reach the fallback path.
    const reason = 'io_uring_setup failed: EPERM (blocked by seccomp?)';
    vi.resetModules();
    vi.doMock('../../src/probe.js', () => ({
      ioUringSupported: () => ({ supported: false, reason, features: 0 }),
    }));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      vi.stubEnv('ZEPHYR_IO_ENGINE', '');
      const fresh = await import('../../src/listen.js');
      expect(fresh.selectEngine()).toEqual({ engine: 'node', reason: `io_uring unavailable (${reason})` });
      expect(() => fresh.selectEngine('io_uring')).toThrow(
        `io_uring was forced by options.engine but cannot run here: ${reason}`,
      );
      vi.stubEnv('ZEPHYR_IO_ENGINE', 'io_uring');
      expect(() => fresh.selectEngine()).toThrow(/forced by ZEPHYR_IO_ENGINE but cannot run here/);
      vi.stubEnv('ZEPHYR_IO_ENGINE', '');
      const a = await fresh.listen({ port: 0 }, (_req, res) => res.end('fallback'));
      const b = await fresh.listen({ port: 0 }, (_req, res) => res.end('fallback'));
      expect(a.engine).toBe('node');
      expect(a.engineReason).toContain(reason);
      await a.close();
      await b.close();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn).toHaveBeenCalledWith(`zephyr: io_uring unavailable (${reason}); using the node engine`);
    } finally {
      warn.mockRestore();
      vi.doUnmock('../../src/probe.js');
      vi.resetModules();
    }
  });
});
