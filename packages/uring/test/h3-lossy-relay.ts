// A UDP relay that drops and reorders datagrams both ways, for the HTTP/3 loss test on machines
// without `tc netem`: clients talk to the relay's port, the relay talks to the server from one
// socket per client address (as a NAT would), and each datagram, either way, is dropped with
// probability `loss`, or else held back `holdMs` with probability `reorder` (so later
// datagrams overtake it). The choices come from a seeded generator, so a failure can be rerun.
// With `rebindAt`, once that many datagrams have been forwarded, every client's upstream socket
// is replaced by a new one (a new source port, the old one closed), as a NAT rebinding does: the
// server sees the connection move, which QUIC connection migration must survive.
import { createSocket, type Socket } from 'node:dgram';
import { randomBytesFrom } from './h3-datagrams.js';

/** What the relay did, both directions together. */
export interface RelayStats {
  forwarded: number;
  dropped: number;
  reordered: number;
  /** Upstream sockets replaced by `rebindAt`. */
  rebound: number;
}

/** A running relay: its port, its counts so far, and how to stop it. */
export interface LossyRelay {
  port: number;
  stats: RelayStats;
  close(): void;
}

/** Starts a relay on 127.0.0.1 (a free port) in front of 127.0.0.1:`target`. */
export async function startLossyRelay(
  target: number,
  options: { loss: number; reorder: number; holdMs: number; seed: number; rebindAt?: number },
): Promise<LossyRelay> {
  const bytes = randomBytesFrom(options.seed);
  const chance = () => bytes(4).readUInt32BE(0) / 2 ** 32;
  const stats: RelayStats = { forwarded: 0, dropped: 0, reordered: 0, rebound: 0 };
  const timers = new Set<NodeJS.Timeout>();
  const pass = (send: () => void) => {
    if (chance() < options.loss) {
      stats.dropped++;
      return;
    }
    stats.forwarded++;
    if (chance() < options.reorder) {
      stats.reordered++;
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, options.holdMs);
      timers.add(timer);
    } else {
      send();
    }
  };
  const front = createSocket('udp4');
  const upstreams = new Map<string, Socket>();
  // A send on a socket closed meanwhile (close(), a rebinding) is dropped like any other loss.
  const send = (socket: Socket, datagram: Buffer, port: number, address: string) => {
    try {
      socket.send(datagram, port, address, () => {});
    } catch {
      // ERR_SOCKET_DGRAM_NOT_RUNNING
    }
  };
  const upstreamFor = (from: { address: string; port: number }): Socket => {
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    socket.on('message', (reply) => pass(() => send(front, reply, from.port, from.address)));
    return socket;
  };
  front.on('message', (datagram, from) => {
    const key = `${from.address}:${from.port}`;
    if (options.rebindAt !== undefined && stats.rebound === 0 && stats.forwarded >= options.rebindAt) {
      for (const [client, old] of upstreams) {
        const [address = '', port = ''] = client.split(/:(?=\d+$)/);
        upstreams.set(client, upstreamFor({ address, port: Number(port) }));
        old.close();
        stats.rebound++;
      }
    }
    let upstream = upstreams.get(key);
    if (!upstream) {
      upstream = upstreamFor(from);
      upstreams.set(key, upstream);
    }
    const socket = upstream;
    pass(() => send(socket, datagram, target, '127.0.0.1'));
  });
  await new Promise<void>((resolve) => front.bind(0, '127.0.0.1', resolve));
  return {
    port: front.address().port,
    stats,
    close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of upstreams.values()) socket.close();
      front.close();
    },
  };
}
