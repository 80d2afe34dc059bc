// A keep-alive HTTP/1.1 client that forgives nothing, for the reload test: autocannon reconnects
// silently when a server closes a connection with a request on it, while this counts that as a
// failure (as wrk's "read" socket errors do). A `connection: close` response is the one graceful
// way for a connection to end.
import { connect, type Socket } from 'node:net';

export interface StrictLoad {
  /** Responses received, by body. */
  readonly bodies: Map<string, number>;
  readonly responses: () => number;
  /** Every request that did not get a complete 200 response, with why. */
  readonly failures: string[];
  /** Stops sending and resolves once every connection has finished its last request. */
  stop(): Promise<void>;
}

function loop(port: number, path: string, state: { stopped: boolean }, load: StrictLoad, done: () => void) {
  let socket: Socket;
  let buffer = Buffer.alloc(0);
  let outstanding = false;
  let closing = false;
  // Responses on the current connection: 0 when a request is lost on a connection just made.
  let served = 0;
  const send = () => {
    if (state.stopped) {
      socket.end();
      done();
      return;
    }
    outstanding = true;
    socket.write(`GET ${path} HTTP/1.1\r\nhost: localhost\r\n\r\n`);
  };
  const open = () => {
    buffer = Buffer.alloc(0);
    closing = false;
    served = 0;
    socket = connect(port, '127.0.0.1', send);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? Number.NaN);
      if (Number.isNaN(length)) {
        load.failures.push(`response without content-length: ${head}`);
        socket.destroy();
        return;
      }
      if (buffer.length < end + 4 + length) return;
      const body = buffer.subarray(end + 4, end + 4 + length).toString();
      buffer = buffer.subarray(end + 4 + length);
      outstanding = false;
      served++;
      if (!head.startsWith('HTTP/1.1 200 ')) load.failures.push(`status: ${head.split('\r\n')[0]}`);
      load.bodies.set(body, (load.bodies.get(body) ?? 0) + 1);
      if (/\r\nconnection: *close/i.test(head)) closing = true;
      else send();
    });
    socket.on('error', (err) => {
      if (outstanding)
        load.failures.push(
          `socket error with a request outstanding (after ${served} responses): ${err.message}`,
        );
      else if (!closing) load.failures.push(`socket error on an idle connection: ${err.message}`);
    });
    socket.on('close', () => {
      if (outstanding)
        load.failures.push(`connection closed with a request outstanding (after ${served} responses)`);
      else if (!closing && !state.stopped)
        load.failures.push('idle connection closed without connection: close');
      if (state.stopped) done();
      else open();
    });
  };
  open();
}

/** Starts `connections` connections each sending GET `path` back to back. */
export function startStrictLoad(port: number, path: string, connections: number): StrictLoad {
  const state = { stopped: false };
  let finished = 0;
  let allDone: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  const load: StrictLoad = {
    bodies: new Map(),
    responses: () => [...load.bodies.values()].reduce((a, b) => a + b, 0),
    failures: [],
    stop: () => {
      state.stopped = true;
      return stopped;
    },
  };
  for (let i = 0; i < connections; i++) {
    let counted = false;
    loop(port, path, state, load, () => {
      if (counted) return;
      counted = true;
      if (++finished === connections) allDone();
    });
  }
  return load;
}
