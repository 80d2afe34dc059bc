// What is specific to the io_uring engine: one JS call per batch of completions, responses in
// request order whatever order handlers finish in, zero-copy file bodies, nothing leaked when
// clients vanish at any moment, and a failing handler costing one response, never the process.

import { spawn } from 'node:child_process';
import {
  closeSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineServer, ListenOptions, RequestHandler } from '../src/engine.js';
import { ioUringSupported } from '../src/probe.js';
import { listenUring } from '../src/uring-engine.js';

const probe = ioUringSupported();

describe('io_uring engine availability', () => {
  it('listens where the probe found io_uring, and otherwise fails with the reason', async () => {
    if (!probe.supported) {
      await expect(listenUring({ port: 0 }, () => {})).rejects.toThrow(/io_uring|native binding/);
      return;
    }
    const server = await serve((_req, res) => res.end('x'));
    expect(server.engine).toBe('io_uring');
  });
});

let servers: EngineServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close({ timeoutMs: 1000 })));
  servers = [];
});

async function serve(handler: RequestHandler, options: Partial<ListenOptions> = {}): Promise<EngineServer> {
  const server = await listenUring({ port: 0, ...options }, handler);
  servers.push(server);
  return server;
}

/** Connects, sends one of several unfinished requests, and resets, `cycles` times, 50 at once. */
const RESET_CLIENT = `
const net = require('node:net');
const [port, cycles] = process.argv.slice(1).map(Number);
const partials = [
  'GET / HTTP/1.1\\r\\nHo',
  'POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 100\\r\\n\\r\\nabc',
  'GET / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n5\\r\\nab',
  'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n',
  'GET /slow HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n',
];
const cycle = (i) => new Promise((resolve) => {
  const s = net.connect(port, '127.0.0.1', () => s.write(partials[i % partials.length], () => { s.resetAndDestroy(); resolve(); }));
  s.on('error', () => resolve());
});
(async () => {
  for (let i = 0; i < cycles; i += 50) await Promise.all(Array.from({ length: Math.min(50, cycles - i) }, (_, k) => cycle(i + k)));
})();
`;

/** Lets the server reap the last resets (they complete asynchronously). */
async function settle(): Promise<void> {
  let last = -1;
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 20));
    const now = openFds();
    if (now === last) return;
    last = now;
  }
}

/** Sends `raw` and collects what comes back until `done(text)` or the peer closes. */
function exchange(port: number, raw: string, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(raw));
    let text = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      text += d;
      if (done(text)) {
        s.destroy();
        resolve(text);
      }
    });
    s.on('end', () => resolve(text));
    s.on('error', reject);
  });
}

const count = (text: string, needle: string): number => text.split(needle).length - 1;

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** What each open descriptor is (`socket:[…]`, `pipe:[…]`, `anon_inode:[io_uring]`, a path). */
function fdTargets(): Map<string, string> {
  const targets = new Map<string, string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      targets.set(fd, readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // Closed between the listing and the readlink: not open any more.
    }
  }
  return targets;
}

/**
 * What each socket the kernel lists is, by inode: `tcp <local port> <state>` (state as
 * /proc/net/tcp numbers it: 01 established, 08 close-wait, 0A listen...) or `unix`. A TCP socket
 * the peer reset is in no table any more: see {@link socketKind}.
 */
function socketTables(): Map<string, string> {
  const kinds = new Map<string, string>();
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/self/net/${table}`, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[9] !== undefined)
        kinds.set(fields[9], `tcp ${Number.parseInt(fields[1]!.split(':')[1]!, 16)} ${fields[3]}`);
    }
  }
  for (const line of readFileSync('/proc/self/net/unix', 'utf8').split('\n').slice(1)) {
    const inode = line.trim().split(/\s+/)[6];
    if (inode !== undefined) kinds.set(inode, 'unix');
  }
  return kinds;
}

/** What descriptor `target` is: its entry in `tables`, `unlisted` (a reset TCP socket), or `not a socket`. */
function socketKind(target: string, tables: Map<string, string>): string {
  const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
  if (inode === undefined) return 'not a socket';
  return tables.get(inode) ?? 'unlisted';
}

function rssBytes(): number {
  const statm = readFileSync('/proc/self/statm', 'utf8').split(' ');
  return Number(statm[1]) * 4096;
}

describe.runIf(probe.supported)('io_uring engine', () => {
  it('reports itself as the io_uring engine on the port it bound', async () => {
    const server = await serve((_req, res) => res.end('x'));
    expect(server.engine).toBe('io_uring');
    expect(server.port).toBeGreaterThan(0);
    expect(server.host).toBe('127.0.0.1');
  });

  it('hands a burst of pipelined requests to JS in one call (one batch, one turn)', async () => {
    // All 16 requests arrive in one segment: the native side parses them in one batch and makes
    // a single JS call, so no microtask can run between the handlers.
    const turns: number[] = [];
    let turn = 0;
    let pending = false;
    const server = await serve((req, res) => {
      if (!pending) {
        pending = true;
        queueMicrotask(() => {
          pending = false;
          turn++;
        });
      }
      turns.push(turn);
      res.end(req.path);
    });
    const raw = Array.from({ length: 16 }, (_, i) => `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
    const text = await exchange(
      server.port,
      raw,
      (t) => count(t, 'HTTP/1.1 200') === 16 && t.endsWith('/15'),
    );
    expect(count(text, 'HTTP/1.1 200 OK')).toBe(16);
    expect(new Set(turns).size).toBe(1);
  });

  it('sends pipelined responses in request order when handlers finish in reverse', async () => {
    const server = await serve(async (req, res) => {
      const i = Number(req.path.slice(1));
      await new Promise((r) => setTimeout(r, (16 - i) * 3));
      res.end(`r${i};`);
    });
    const raw = Array.from({ length: 16 }, (_, i) => `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
    const text = await exchange(server.port, raw, (t) => t.endsWith('r15;'));
    const bodies = [...text.matchAll(/r(\d+);/g)].map((m) => Number(m[1]));
    expect(bodies).toEqual(Array.from({ length: 16 }, (_, i) => i));
  });

  it('sends a file body with splice, honouring offset and length', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zephyr-uring-'));
    const file = join(dir, 'data.bin');
    const content = Buffer.alloc(1 << 20, 0);
    for (let i = 0; i < content.length; i++) content[i] = i % 251;
    writeFileSync(file, content);
    try {
      const server = await serve(async (_req, res) => {
        await res.sendFile(file, { offset: 5, length: 700_000 });
      });
      const res = await fetch(`http://127.0.0.1:${server.port}/`);
      const body = Buffer.from(await res.arrayBuffer());
      expect(res.headers.get('content-length')).toBe('700000');
      expect(body.equals(content.subarray(5, 700_005))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends from a caller-owned descriptor without closing it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zephyr-uring-'));
    const file = join(dir, 'fd.txt');
    writeFileSync(file, '0123456789abcdef');
    const fd = openSync(file, 'r');
    try {
      const server = await serve(async (_req, res) => {
        await res.sendFile(fd, { offset: 10 });
      });
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`http://127.0.0.1:${server.port}/`);
        expect(await res.text()).toBe('abcdef');
      }
      // Still ours and still open: the engine sent from a duplicate.
      expect(fstatSync(fd).size).toBe(16);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports drain to a writer that respects write() returning false', async () => {
    const chunk = Buffer.alloc(64 * 1024, 120);
    const total = 128;
    let sawFalse = false;
    const server = await serve(async (_req, res) => {
      res.setHeader('content-length', String(chunk.length * total));
      for (let i = 0; i < total; i++) {
        if (!res.write(chunk)) {
          sawFalse = true;
          await new Promise<void>((resolve) => res.onDrain(resolve));
        }
      }
      res.end();
    });
    // A slow reader: the socket buffers fill and the engine's output queue backs up.
    const received = await new Promise<number>((resolve, reject) => {
      const s = connect(server.port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      let bytes = 0;
      s.on('data', (d: Buffer) => {
        bytes += d.length;
        s.pause();
        setTimeout(() => s.resume(), 1);
        if (bytes >= chunk.length * total) {
          s.destroy();
          resolve(bytes);
        }
      });
      s.on('error', reject);
    });
    expect(received).toBeGreaterThanOrEqual(chunk.length * total);
    expect(sawFalse).toBe(true);
  });

  it('drops an unread request body and keeps the connection serving', async () => {
    const server = await serve((req, res) => res.end(`ok ${req.path}`));
    const body = 'x'.repeat(100_000);
    const raw = [1, 2, 3]
      .map((i) => `POST /${i} HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
      .join('');
    const text = await exchange(server.port, raw, (t) => t.endsWith('ok /3'));
    expect(count(text, 'HTTP/1.1 200 OK')).toBe(3);
  });

  it('answers 500 to a throwing or rejecting handler and keeps serving', async () => {
    const server = await serve((req, res) => {
      if (req.path === '/throw') throw new Error('sync failure');
      if (req.path === '/reject') return Promise.reject(new Error('async failure'));
      res.end('alive');
    });
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/throw`)).status).toBe(500);
    expect((await fetch(`${base}/reject`)).status).toBe(500);
    const ok = await fetch(`${base}/`);
    expect(await ok.text()).toBe('alive');
  });

  it('drops the connection when a handler fails after its head was sent', async () => {
    const server = await serve(async (_req, res) => {
      res.write('partial');
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('mid-body failure');
    });
    const text = await exchange(server.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', () => false);
    expect(text).toContain('partial');
    expect(text).not.toContain('0\r\n\r\n');
  });

  it('applies backpressure to a streamed request body and still delivers every byte', async () => {
    const size = 8 << 20;
    const server = await serve(
      async (req, res) => {
        let total = 0;
        for await (const chunk of req.bodyStream()) {
          total += chunk.length;
          // A slow consumer: the engine must pause the socket rather than buffer 8 MiB.
          await new Promise((r) => setImmediate(r));
        }
        res.end(String(total));
      },
      { limits: { maxBodyBytes: size } },
    );
    const res = await fetch(`http://127.0.0.1:${server.port}/`, {
      method: 'POST',
      body: Buffer.alloc(size, 7),
    });
    expect(await res.text()).toBe(String(size));
  });

  it('leaks no descriptors or memory across 10k connect / partial send / reset cycles', async () => {
    // Strict: deadlines far beyond the test, so no timeout can reap a connection whose reset was
    // missed; every reset must be seen, even on a socket not being read (a `Connection: close`
    // request whose handler has not answered), within a second, with the CPU busy alongside.
    const server = await serve(
      (req, res) => {
        if (req.path === '/slow') setTimeout(() => res.end('ok'), 20);
        else res.end('ok');
      },
      { limits: { headerTimeoutMs: 60_000, keepAliveTimeoutMs: 60_000, requestTimeoutMs: 120_000 } },
    );
    // The clients run in a child process, so that this process's descriptors and RSS are the
    // server's alone (10k client sockets would otherwise dominate both).
    const run = (cycles: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['-e', RESET_CLIENT, String(server.port), String(cycles)], {
          stdio: 'inherit',
        });
        child.on('error', reject);
        child.on('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`client exited with ${code}`)),
        );
      });
    // Warm up first, so that pools (the buffer ring, slot tables, V8's heap) reach steady size.
    await run(1000);
    await settle();
    const fdsBefore = fdTargets();
    const rssBefore = rssBytes();
    const load = spawn(
      process.execPath,
      ['-e', 'const end = Date.now() + 60000; while (Date.now() < end);'],
      {
        stdio: 'ignore',
      },
    );
    try {
      await run(10_000);
      // The last resets are reaped asynchronously (a POLLRDHUP completion each, at once), with
      // the load still running. A connection's descriptor (a TCP socket on the server's port, or
      // one in no table: reset) that outlives its client is a leak: with the deadlines above
      // nothing else would reap it for a minute. 10 s, not 1: on a loaded CI machine (two cores,
      // other packages' suites alongside) one was seen still open at 1 s and another at 3 s,
      // without its state recorded; a failure now names what each leftover is. The process may
      // open one or two other descriptors lazily meanwhile (Node's and vitest's own), which are
      // not the engine's.
      const started = Date.now();
      await vi.waitFor(
        () => {
          const tables = socketTables();
          const added = [...fdTargets()]
            .filter(([fd, target]) => fdsBefore.get(fd) !== target)
            .map(([fd, target]) => ({ fd, target, kind: socketKind(target, tables) }));
          const connections = added.filter(
            ({ kind }) => kind === 'unlisted' || kind.startsWith(`tcp ${server.port} `),
          );
          expect(connections, 'connection descriptors left open').toEqual([]);
          expect(added.length, JSON.stringify(added)).toBeLessThanOrEqual(2);
        },
        { timeout: 10_000, interval: 50 },
      );
      const reapMs = Date.now() - started;
      if (reapMs > 1000) console.warn(`the last resets took ${reapMs} ms to be reaped`);
    } finally {
      load.kill();
    }
    expect(rssBytes() - rssBefore).toBeLessThan(16 << 20);
    // And the server still answers.
    const res = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(res.status).toBe(200);
  }, 60_000);

  it('closes gracefully: finishes in-flight responses, then refuses connections', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const server = await listenUring({ port: 0 }, async (_req, res) => {
      await held;
      res.end('finished');
    });
    const inflight = fetch(`http://127.0.0.1:${server.port}/`).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 50));
    const closed = server.close();
    release();
    expect(await inflight).toBe('finished');
    await closed;
    await expect(fetch(`http://127.0.0.1:${server.port}/`)).rejects.toThrow();
  });
});
