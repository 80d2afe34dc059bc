import { ControlClient } from '../../src/index.js';

/** Runs one chunked operation (`cpu-profile`, `heap-snapshot`) and returns its text and progress lines. */
export async function capture(
  socket: string,
  op: string,
  args: Record<string, unknown> = {},
): Promise<{ text: string; progress: string[] }> {
  const client = await ControlClient.connect(socket);
  const chunks: string[] = [];
  const progress: string[] = [];
  try {
    await client.request(op, args, { onChunk: (c) => chunks.push(c), onProgress: (p) => progress.push(p) });
  } finally {
    client.close();
  }
  return { text: chunks.join(''), progress };
}
