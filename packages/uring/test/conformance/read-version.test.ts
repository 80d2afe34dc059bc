// The start state of a cleartext connection (hyper-util's ReadVersion): the first bytes say
// whether it speaks HTTP/1 or HTTP/2 with prior knowledge (the connection preface, RFC 9113
// §3.4). This listener does not serve HTTP/2 (no `http2` option), so a client that opens with
// the preface is turned away without its bytes ever reaching the application as a request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineServer } from '../../src/index.js';
import { ENGINES, raw, start, stop } from './harness.js';

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
// A SETTINGS frame with no parameters: what an h2 client sends right after the preface.
const SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);

describe.each(ENGINES)('%s engine: reading the protocol version', (engine) => {
  let server: EngineServer | undefined;
  let handled = 0;
  beforeAll(async () => {
    server = await start(engine, (req, res) => {
      handled++;
      res.end(`http/1 ${req.path}`);
    });
  });
  afterAll(() => stop(server));

  it('turns away a client that opens with the HTTP/2 preface, and runs no handler', async () => {
    const result = await raw(server!.port, [Buffer.from(PREFACE), SETTINGS]);
    expect(result.closed).toBe(true);
    // io_uring closes without a word (no HTTP/1 answer to an HTTP/2 client); node:http's parser
    // answers the unknown method with 400 before closing.
    expect(result.status).toBe(engine === 'io_uring' ? 0 : 400);
    expect(handled).toBe(0);
  });

  it('tells the preface from HTTP/1 arriving a byte at a time', async () => {
    // PROPFIND shares "PR" with the preface: the engine must hold the bytes until they differ.
    const bytes = [...'PROPFIND / HTTP/1.1\r\nHost: x\r\n\r\n'];
    const result = await raw(server!.port, bytes, { gapMs: 2, waitMs: 500 });
    expect(result.text).toContain('http/1 /');
  });
});
