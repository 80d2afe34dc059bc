import { parseConfig } from '@zephyr/config';
import { defaultLimits } from '@zephyr/uring';
import { describe, expect, it } from 'vitest';
import { listenOptionsFromConfig, performanceConfigSchema, serverConfigSchema } from '../src/index.js';

describe('config sections', () => {
  it('accepts the seed config', () => {
    const server = serverConfigSchema.parse({ workers: 'auto', io_engine: 'io_uring' });
    const performance = performanceConfigSchema.parse({
      zero_copy: true,
      kernel_tls: true,
      tcp_fastopen: true,
    });
    expect(server).toMatchObject({ workers: 'auto', io_engine: 'io_uring', port: 3000, host: '127.0.0.1' });
    expect(server.limits.max_body_size).toBe(1024 * 1024);
    expect(performance).toEqual({ zero_copy: true, kernel_tls: true, tcp_fastopen: true });
  });

  it('has defaults for everything', () => {
    expect(serverConfigSchema.parse({})).toMatchObject({
      workers: 1,
      io_engine: 'auto',
      shutdown_timeout_ms: 10_000,
    });
    expect(performanceConfigSchema.parse({})).toEqual({
      zero_copy: true,
      kernel_tls: false,
      tcp_fastopen: false,
    });
  });

  it('parses sizes and rejects unknown keys and bad values with their paths', () => {
    expect(serverConfigSchema.parse({ limits: { max_body_size: '10MB' } }).limits.max_body_size).toBe(
      10 * 1024 * 1024,
    );
    const unknown = serverConfigSchema.safeParse({ wokers: 2 });
    expect(unknown.success).toBe(false);
    const bad = serverConfigSchema.safeParse({
      workers: 0,
      io_engine: 'epoll',
      limits: { max_body_size: 'lots' },
    });
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual([
      'workers',
      'io_engine',
      'limits.max_body_size',
    ]);
    expect(performanceConfigSchema.safeParse({ zero_copy: 'yes' }).success).toBe(false);
  });

  it('maps to listen options', () => {
    const options = listenOptionsFromConfig(
      serverConfigSchema.parse({
        workers: 2,
        io_engine: 'node',
        port: 8080,
        limits: { max_body_size: '2KB' },
      }),
      performanceConfigSchema.parse({ tcp_fastopen: true }),
    );
    expect(options).toMatchObject({ port: 8080, engine: 'node', workers: 2, tcpFastOpen: true });
    expect(options.limits?.maxBodyBytes).toBe(2048);
  });

  it('maps server.tls and performance.kernel_tls to the tls option, with the engine defaults', () => {
    const text = [
      'server:',
      '  tls:',
      '    cert: cert.pem',
      '    key: key.pem',
      '    sni: { api.example.com: { cert: api.pem, key: api.key } }',
      'performance:',
      '  kernel_tls: true',
      '',
    ].join('\n');
    const config = parseConfig(text, {
      sections: { server: serverConfigSchema, performance: performanceConfigSchema },
    });
    expect(listenOptionsFromConfig(config.server, config.performance).tls).toEqual({
      cert: 'cert.pem',
      key: 'key.pem',
      sni: { 'api.example.com': { cert: 'api.pem', key: 'api.key' } },
      minVersion: 'TLSv1.2',
      handshakeTimeoutMs: 10_000,
      kernelTls: true,
    });
    // No alpn in the file: the engine's default, which offers h2 first when server.http2 is on
    // (an explicit list without h2 would be refused beside http2).
    const withHttp2 = serverConfigSchema.parse({
      tls: { cert: 'c.pem', key: 'k.pem' },
      http2: { enabled: true },
    });
    const options = listenOptionsFromConfig(withHttp2);
    expect(options.http2).toBeDefined();
    expect(options.tls?.alpn).toBeUndefined();
    const explicit = serverConfigSchema.parse({ tls: { cert: 'c.pem', key: 'k.pem', alpn: ['http/1.1'] } });
    expect(listenOptionsFromConfig(explicit).tls?.alpn).toEqual(['http/1.1']);
    expect(listenOptionsFromConfig(serverConfigSchema.parse({})).tls).toBeUndefined();
    const bad = serverConfigSchema.safeParse({
      tls: { cert: 'c.pem', key: 'k.pem', min_version: 'TLSv1.1' },
    });
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['tls.min_version']);
    expect(serverConfigSchema.safeParse({ tls: { cert: 'c.pem' } }).success).toBe(false);
  });

  it('takes every limit default from @zephyr/uring (one source)', () => {
    const { limits } = listenOptionsFromConfig(serverConfigSchema.parse({}));
    expect(limits).toEqual(defaultLimits);
  });

  it('refuses a header timeout above the request timeout, in the config file option names', () => {
    const text = 'server:\n  limits:\n    header_timeout_ms: 60000\n    request_timeout_ms: 30000\n';
    expect(() => parseConfig(text, { sections: { server: serverConfigSchema } })).toThrow(
      /zephyr\.config\.yaml:3:\d+ server\.limits\.header_timeout_ms: header_timeout_ms \(60000\) must not exceed request_timeout_ms \(30000\)/,
    );
    // Against the default request timeout too (300 s).
    expect(serverConfigSchema.safeParse({ limits: { header_timeout_ms: 400_000 } }).success).toBe(false);
    expect(
      serverConfigSchema.safeParse({ limits: { header_timeout_ms: 30_000, request_timeout_ms: 30_000 } })
        .success,
    ).toBe(true);
  });

  it('refuses a URL limit the head limit would always pre-empt', () => {
    const result = serverConfigSchema.safeParse({ limits: { max_url_length: 20_000 } });
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['limits', 'max_url_length'],
        message: expect.stringContaining('max_url_length (20000) must be below max_header_bytes (16384)'),
      }),
    ]);
    expect(
      serverConfigSchema.safeParse({ limits: { max_url_length: 20_000, max_header_bytes: 32_768 } }).success,
    ).toBe(true);
  });
});
