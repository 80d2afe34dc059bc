import type { DeathNotice } from '../actor/message.js';
import type { AskDeadlines } from '../actor/pending-ask.js';
import { RemoteRefBase } from '../actor/routable-ref.js';
import type { MessageHeaders } from '../actor/tracing-channels.js';
import type { ReplyTo } from '../mailbox/mailbox.js';
import type { Link } from './link.js';

/** In a worker thread: a ref to an actor elsewhere, reached through the main thread, which routes. */
export class PortRef extends RemoteRefBase {
  constructor(
    address: string,
    private readonly link: Link,
    deadlines: AskDeadlines,
    defaultTimeoutMs: number,
  ) {
    super(address, deadlines, defaultTimeoutMs);
  }

  protected readonly placement = 'thread';

  deliver(msg: unknown, reply: ReplyTo | undefined, headers?: MessageHeaders): void {
    if (reply === undefined) this.link.tell(this.address, msg, headers);
    else this.link.ask(this.address, msg, reply, headers);
  }

  watch(listener: (notice: DeathNotice) => void): () => void {
    return this.link.watch(this.address, listener);
  }
}
