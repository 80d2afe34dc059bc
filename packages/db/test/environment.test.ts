import { expect, it } from 'vitest';

// Missing services must fail the run, never skip it: CI always provides them (.ci/services.sh).
it('has a real PostgreSQL to test against, and the means to restart it', () => {
  expect(process.env.ZEPHYR_TEST_PG_URL, 'ZEPHYR_TEST_PG_URL: eval "$(bash .ci/services.sh)"').toMatch(
    /^postgres(ql)?:\/\//,
  );
  expect(process.env.ZEPHYR_TEST_PG_CTL, 'ZEPHYR_TEST_PG_CTL: eval "$(bash .ci/services.sh)"').toMatch(
    /pg_ctl/,
  );
});
