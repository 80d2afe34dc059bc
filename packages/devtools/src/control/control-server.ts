import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { ControlProtocolError, type DevtoolsError } from '../devtools-errors.js';
import { type ControlReply, type ControlRequest, LineSplitter, MAX_REQUEST_LINE } from './frames.js';

/** What an operation may send before its result. */
export interface OperationChannel {
  /** A line of progress for the person waiting (anything taking more than a second sends some). */
  progress(message: string): void;
  /** A piece of a large result (a profile, a snapshot), written to a file by the CLI as it comes. */
  chunk(data: string): void;
  /** True once the client has gone: long operations may stop early. */
  readonly closed: boolean;
}

/** An operation the app serves: arguments in, a JSON-serialisable result out. */
export type Operation = (
  args: Readonly<Record<string, unknown>>,
  channel: OperationChannel,
) => unknown | Promise<unknown>;

/** A running control socket. */
export interface ControlServer {
  readonly path: string;
  /** Stops listening, ends open connections and removes the socket file. */
  close(): Promise<void>;
}

function errorOf(err: unknown): { code: string; message: string } {
  const code = (err as Partial<DevtoolsError>)?.code;
  return {
    code: typeof code === 'string' ? code : 'ZEPHYR_ERR_DEVTOOLS_OPERATION_FAILED',
    message: err instanceof Error ? err.message : String(err),
  };
}

/** Whether a live process listens on `path` (a socket file left by a crashed app is stale). */
function listening(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

function parseRequest(line: string): ControlRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new ControlProtocolError('a request must be one JSON object per line', { cause: err });
  }
  const r = value as Partial<ControlRequest> | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r))
    throw new ControlProtocolError('a request must be a JSON object');
  if (typeof r.id !== 'number' || !Number.isSafeInteger(r.id))
    throw new ControlProtocolError('a request needs an integer "id"');
  if (typeof r.op !== 'string') throw new ControlProtocolError('a request needs a string "op"');
  if (r.args !== undefined && (typeof r.args !== 'object' || r.args === null || Array.isArray(r.args)))
    throw new ControlProtocolError('"args" must be an object');
  return r as ControlRequest;
}

/**
 * Listens on a unix socket at `path` (mode 0600) and serves `operations`. A bad frame gets an error
 * frame; a line over {@link MAX_REQUEST_LINE} gets one and the connection is closed. Clients
 * coming and going never affect the app, and the server does not keep the process alive.
 */
export async function startControlServer(
  path: string,
  operations: Readonly<Record<string, Operation>>,
): Promise<ControlServer> {
  if (existsSync(path)) {
    if (await listening(path)) throw new ControlProtocolError(`another process already listens on ${path}`);
    unlinkSync(path);
  }
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setEncoding('utf8');
    let closed = false;
    const send = (reply: ControlReply): void => {
      if (!closed) socket.write(`${JSON.stringify(reply)}\n`);
    };
    const serve = async (line: string): Promise<void> => {
      let request: ControlRequest;
      try {
        request = parseRequest(line);
      } catch (err) {
        send({ id: null, type: 'error', error: errorOf(err) });
        return;
      }
      const { id, op } = request;
      const operation = Object.hasOwn(operations, op) ? operations[op] : undefined;
      if (operation === undefined) {
        const known = Object.keys(operations).join(', ');
        send({
          id,
          type: 'error',
          error: errorOf(new ControlProtocolError(`unknown op "${op}" (known: ${known})`)),
        });
        return;
      }
      const channel: OperationChannel = {
        progress: (message) => send({ id, type: 'progress', message }),
        chunk: (data) => send({ id, type: 'chunk', data }),
        get closed() {
          return closed;
        },
      };
      try {
        send({ id, type: 'result', value: (await operation(request.args ?? {}, channel)) ?? null });
      } catch (err) {
        send({ id, type: 'error', error: errorOf(err) });
      }
    };
    const lines = new LineSplitter(
      MAX_REQUEST_LINE,
      (line) => void serve(line),
      () => {
        const tooLong = new ControlProtocolError(
          `a request line is limited to ${MAX_REQUEST_LINE} characters`,
        );
        send({ id: null, type: 'error', error: errorOf(tooLong) });
        socket.end();
      },
    );
    socket.on('data', (data: string) => lines.push(data));
    socket.on('error', () => {
      // A client that vanished mid-write: nothing to do; 'close' follows.
    });
    socket.on('close', () => {
      closed = true;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // The directory is 0700 already; the socket itself is 0600 too, as a second lock.
  chmodSync(path, 0o600);
  server.unref();
  let closing: Promise<void> | undefined;
  return {
    path,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }).then(() => {
        if (existsSync(path)) unlinkSync(path);
      });
      return closing;
    },
  };
}
