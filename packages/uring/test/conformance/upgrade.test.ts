// The Upgrade takeover: after a 101, the bytes that follow belong to the new protocol and are
// never parsed as HTTP; a declined upgrade leaves the connection HTTP/1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineServer, RequestHandler } from '../../src/index.js';
import { ENGINES, parseResponses, raw, sleep, start, stop } from './harness.js';

let handled: string[] = [];

const app: RequestHandler = async (req, res) => {
  handled.push(req.path);
  if (req.path === '/accept') {
    res.status(101).setHeader('connection', 'upgrade').setHeader('upgrade', 'echo');
    res.write('raw-hello');
    await sleep(300);
    res.end();
    return;
  }
  res.end(`http:${req.path}`);
};

const UPGRADE = 'Host: x\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n';

// The node engine has no takeover: node:http without an 'upgrade' listener serves the request
// as plain HTTP. The takeover is the io_uring engine's seam for WebSocket and h2c.
describe.each(ENGINES.filter((e) => e === 'io_uring'))('%s engine: Upgrade takeover', (engine) => {
  let server: EngineServer | undefined;
  beforeAll(async () => {
    server = await start(engine, app);
  });
  afterAll(() => stop(server));

  it('parses nothing after an accepted upgrade as HTTP', async () => {
    handled = [];
    const { text } = await raw(
      server!.port,
      `GET /accept HTTP/1.1\r\n${UPGRADE}GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n`,
      { waitMs: 1000 },
    );
    expect(text).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(text.endsWith('\r\n\r\nraw-hello')).toBe(true);
    expect(handled).toEqual(['/accept']);
  });

  it('goes on as HTTP/1 after a declined upgrade, answering what was pipelined behind it', async () => {
    handled = [];
    const { text } = await raw(
      server!.port,
      `GET /decline HTTP/1.1\r\n${UPGRADE}GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(parseResponses(text).map((r) => r.body)).toEqual(['http:/decline', 'http:/next']);
    expect(handled).toEqual(['/decline', '/next']);
  });
});
