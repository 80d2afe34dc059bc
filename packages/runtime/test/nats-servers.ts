import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A port nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface NatsServerOptions {
  /** Extra nats-server config text (authorization, tls...). */
  readonly config?: string;
  /** Cluster routing: this server's route port and the route URLs of its peers. */
  readonly cluster?: {
    readonly name: string;
    readonly port: number;
    readonly routes: readonly string[];
    /** Do not tell clients about the other servers (so a client can be cut off on purpose). */
    readonly noAdvertise?: boolean;
  };
  /** Server name (cluster members need distinct ones). */
  readonly name?: string;
}

/**
 * A real nats-server process on loopback, on a port fixed at creation so it can be killed and
 * started again at the same address (what clients reconnect to).
 */
export class NatsServer {
  private process: ChildProcess | null = null;
  private readonly configFile: string;

  private constructor(
    readonly port: number,
    options: NatsServerOptions,
  ) {
    const dir = mkdtempSync(join(tmpdir(), 'zephyr-nats-'));
    this.configFile = join(dir, 'nats.conf');
    const cluster = options.cluster;
    writeFileSync(
      this.configFile,
      [
        `listen: 127.0.0.1:${port}`,
        `server_name: ${options.name ?? `s${port}`}`,
        cluster === undefined
          ? ''
          : `cluster { name: ${cluster.name}, listen: 127.0.0.1:${cluster.port}, routes: [${cluster.routes.join(', ')}]${cluster.noAdvertise === true ? ', no_advertise: true' : ''} }`,
        options.config ?? '',
      ].join('\n'),
    );
  }

  static async start(options: NatsServerOptions = {}, port?: number): Promise<NatsServer> {
    const server = new NatsServer(port ?? (await freePort()), options);
    await server.restart();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts the process (again) and resolves once it accepts clients. */
  async restart(): Promise<void> {
    if (this.process !== null) throw new Error('nats-server is already running');
    const child = spawn('nats-server', ['-c', this.configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.process = child;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Server is ready')) {
          child.stderr?.off('data', onData);
          child.stderr?.resume();
          resolve();
        }
      };
      child.stderr?.on('data', onData);
      child.once('error', reject);
      child.once('exit', (code) =>
        reject(new Error(`nats-server exited with ${code} before ready:\n${log}`)),
      );
    });
  }

  /** SIGKILLs the process (an abrupt broker death) and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }
}

/** Three nats-servers routed into one NATS cluster on loopback. */
export async function startNatsCluster(config = '', noAdvertise = false): Promise<NatsServer[]> {
  const clientPorts = [await freePort(), await freePort(), await freePort()];
  const routePorts = [await freePort(), await freePort(), await freePort()];
  const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`);
  return Promise.all(
    clientPorts.map((port, i) =>
      NatsServer.start(
        {
          name: `n${i}`,
          config,
          cluster: {
            name: 'zc',
            port: routePorts[i]!,
            routes: routes.filter((_, j) => j !== i),
            noAdvertise,
          },
        },
        port,
      ),
    ),
  );
}
