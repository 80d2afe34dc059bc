import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ioUringSupported } from '../src/index.js';

function sysctlDisabled(): number | undefined {
  try {
    return Number(readFileSync('/proc/sys/kernel/io_uring_disabled', 'utf8').trim());
  } catch {
    return undefined;
  }
}

describe('ioUringSupported', () => {
  it('really sets up a ring on a Linux kernel that allows it', () => {
    const probe = ioUringSupported();
    if (
      process.platform === 'linux' &&
      sysctlDisabled() !== 2 &&
      process.env.ZEPHYR_EXPECT_NO_URING !== '1'
    ) {
      // The machines Zephyr is built and tested on have io_uring: a false here is a real failure.
      expect(probe).toMatchObject({ supported: true });
      expect(probe.reason).toBeUndefined();
    } else {
      expect(probe.supported).toBe(false);
      expect(probe.reason).toMatch(/io_uring_setup failed|could not be loaded/);
    }
  });

  it('reports the kernel feature bits it found', () => {
    const probe = ioUringSupported();
    if (probe.supported) expect(probe.features).toBeGreaterThan(0);
    else expect(probe.features).toBe(0);
  });
});
