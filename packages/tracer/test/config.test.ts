import { parseConfig } from '@zephyr/config';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OTLP_ENDPOINT, tracingConfigSchema, tracingOptionsFromConfig } from '../src/index.js';

const sections = { tracing: tracingConfigSchema };

describe('the tracing: config section', () => {
  it('defaults to off, and then gives no setup options', () => {
    const config = parseConfig('', { sections });
    expect(config.tracing).toEqual({
      enabled: false,
      service_name: 'zephyr-app',
      otlp: { endpoint: DEFAULT_OTLP_ENDPOINT, headers: {}, protocol: 'http/protobuf' },
      sample_rate: 1,
      sqlcommenter: false,
      ring_size: 100,
    });
    expect(tracingOptionsFromConfig(config.tracing)).toBeUndefined();
  });

  it('maps an enabled section to setupTracing options', () => {
    const config = parseConfig(
      [
        'tracing:',
        '  enabled: true',
        '  service_name: shop',
        '  otlp:',
        '    endpoint: https://collector.example:4318/v1/traces',
        '    headers: { x-api-key: secret }',
        '    protocol: http/json',
        '  sample_rate: 0.25',
        '  sqlcommenter: true',
        '  ring_size: 20',
      ].join('\n'),
      { sections },
    );
    expect(tracingOptionsFromConfig(config.tracing)).toEqual({
      serviceName: 'shop',
      endpoint: 'https://collector.example:4318/v1/traces',
      headers: { 'x-api-key': 'secret' },
      protocol: 'http/json',
      sampleRate: 0.25,
      sqlCommenter: true,
      ring: { maxTraces: 20 },
    });
  });

  it('takes overrides from the environment', () => {
    const config = parseConfig('', {
      sections,
      env: { ZEPHYR_TRACING__ENABLED: 'true', ZEPHYR_TRACING__SAMPLE_RATE: '0.5' },
    });
    expect(config.tracing.enabled).toBe(true);
    expect(config.tracing.sample_rate).toBe(0.5);
  });

  it.each([
    ['sample rate above 1', 'tracing: { sample_rate: 2 }'],
    ['negative sample rate', 'tracing: { sample_rate: -1 }'],
    ['a string for enabled', 'tracing: { enabled: "yes" }'],
    ['an endpoint that is not http(s)', 'tracing: { otlp: { endpoint: "file:///etc/passwd" } }'],
    ['a header name with a space', 'tracing: { otlp: { headers: { "x key": v } } }'],
    ['an OTLP protocol other than http/protobuf or http/json', 'tracing: { otlp: { protocol: grpc } }'],
    ['a header value with a line break', 'tracing: { otlp: { headers: { x: "a\\r\\nb" } } }'],
    ['an empty service name', 'tracing: { service_name: "" }'],
    ['a ring of zero traces', 'tracing: { ring_size: 0 }'],
    ['an unknown key', 'tracing: { exporter: jaeger }'],
  ])('rejects %s with the key path', (_what, yaml) => {
    expect(() => parseConfig(yaml, { sections })).toThrow(/tracing/);
  });
});
