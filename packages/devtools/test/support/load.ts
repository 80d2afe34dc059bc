/**
 * A small load generator: `concurrency` loops of keep-alive requests over `paths` until stopped.
 * Counts answers and failures so a test can say the app served while being watched.
 */
export function generateLoad(
  base: string,
  paths: readonly string[],
  concurrency = 8,
): { stop(): Promise<{ ok: number; failed: number }> } {
  let running = true;
  let ok = 0;
  let failed = 0;
  const loops = Array.from({ length: concurrency }, async (_, worker) => {
    for (let i = worker; running; i++) {
      try {
        const response = await fetch(base + paths[i % paths.length]!);
        await response.arrayBuffer();
        if (response.ok) ok++;
        else failed++;
      } catch {
        failed++;
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { ok, failed };
    },
  };
}
