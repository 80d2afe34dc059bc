/**
 * Entry of an actor worker thread: loads the actor modules, then hosts the actors the main thread
 * places here. Every message in or out goes over one batched msgpack link to the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ActorSystem } from '../actor/actor-system.js';
import type { Runnable } from '../actor/dispatcher.js';
import { loadKinds } from '../actor/kind-registry.js';
import { type ExitReason, isMessage } from '../actor/message.js';
import { ActorStoppedError, InvalidArgumentError, UnknownActorKindError } from '../errors.js';
import type { MailboxOptions } from '../mailbox/mailbox.js';
import type { SupervisedChild } from '../supervisor/supervised-child.js';
import { PortTransport } from './frame-transport.js';
import { HandlerClock } from './handler-watchdog.js';
import { Link } from './link.js';
import { PortRef } from './port-ref.js';
import { lowerThreadPriority } from './thread-priority.js';
import type { WorkerBoot } from './worker-host.js';

const boot = workerData as WorkerBoot;
if (parentPort === null) throw new Error('worker-entry must run in a worker thread');
const port = parentPort;
if (boot.niceIncrement > 0) lowerThreadPriority(boot.niceIncrement);

const system = new ActorSystem(
  { nodeId: boot.nodeId, askTimeoutMs: boot.askTimeoutMs, shutdownTimeoutMs: boot.shutdownTimeoutMs },
  boot.config,
);
// Load before listening: frames wait in the port meanwhile, so a spawn and the tells behind it
// in the same frame are handled in one synchronous pass (the actor exists before its messages).
const kinds = await loadKinds(boot.modules);

const transport = new PortTransport(port);
const link: Link = new Link(
  transport,
  system,
  {
    // The main thread sends a worker only messages for actors it placed here. One that is gone is
    // dead-lettered, never routed back (the main thread would send it here again).
    deliver: (address, msg, reply, headers) => {
      if (!isMessage(msg)) {
        link.deadLetter({ recipient: address, message: msg, reason: 'malformed' });
        reply?.reject(new InvalidArgumentError('a message must be an object with a string "type"'));
        return;
      }
      const cell = system.localCell(address);
      if (cell !== undefined) {
        cell.deliver(msg, reply, headers);
        return;
      }
      link.deadLetter({ recipient: address, message: msg, reason: 'unreachable' });
      reply?.reject(new ActorStoppedError(address));
    },
    control: (name, address, arg) => control(name, address, arg),
    exited: () => {},
    deadLetter: (letter) => link.deadLetter(letter),
    watch: (address, listener) => system.resolveRef(address).watch(listener),
  },
  system.deadlines,
);
// Addresses not hosted here belong to the main thread or another worker: the main thread routes.
system.fallbackRoute = (address) => new PortRef(address, link, system.deadlines, boot.askTimeoutMs);
system.onDeadLetter((letter) => link.deadLetter(letter));

/** Actors with a handler deadline: their slot on the watchdog clock, and the deadline. */
const deadlines = new WeakMap<Runnable, [number, number]>();
const clock = new HandlerClock(boot.watchdog);
// Requests for idle actors are handled as they arrive; when that has used up a slice, the port is
// paused so the rest wait in it (outside the heap) while timers and I/O get their turn.
system.dispatcher.inbound = transport;
system.dispatcher.observer = {
  begin(runnable, budget) {
    const entry = deadlines.get(runnable);
    if (entry === undefined) return budget;
    clock.begin(entry[0], entry[1]);
    // One handler per turn, so the clock times each handler, not a queue of them back to back.
    return 1;
  },
  end() {
    clock.end();
  },
};
// A stray rejection from one actor's code must not take the thread's other actors down with it.
process.on('unhandledRejection', (reason) => {
  system.hookError(`${boot.nodeId}/(worker ${boot.index})`, 'unhandled rejection', reason);
});

/** Reports exits of actors hosted here to their supervisor in the main thread. */
const parent = {
  childExited(child: SupervisedChild, reason: ExitReason): void {
    link.exited(child.address, reason);
  },
};

function control(name: string, address: string, arg: unknown): unknown {
  if (name === 'ready') return true;
  const cell = system.localCell(address);
  switch (name) {
    case 'spawn': {
      const [kind, mailbox, slot] = arg as [string, MailboxOptions | null, number];
      const actor = kinds.get(kind);
      if (actor === undefined) throw new UnknownActorKindError(kind, `worker thread ${boot.index}`);
      const created = system.createCell(
        { id: address, actor, ...(mailbox !== null ? { mailbox } : {}) },
        parent,
        address,
      );
      if (slot > 0 && actor.handlerDeadlineMs !== undefined)
        deadlines.set(created, [slot, actor.handlerDeadlineMs]);
      created.start();
      return true;
    }
    case 'halt':
      return cell?.halt(arg).then(() => true) ?? true;
    case 'resume':
      return cell?.resume(arg as number).then(() => true) ?? true;
    case 'stop':
      return cell?.stop(arg as ExitReason).then(() => true) ?? true;
    default:
      throw new Error(`unknown control "${name}"`);
  }
}
