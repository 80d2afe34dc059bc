import { tracingChannel } from 'node:diagnostics_channel';
import {
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { activeContextStore } from './active-context-store.js';
import {
  CHANNELS,
  type ReceiveChannelContext,
  type SendChannelContext,
  someEvents,
} from './channel-contexts.js';
import { recordError } from './record-error.js';
import { recordGetter, recordSetter, w3cPropagator } from './w3c-propagator.js';

/** Messaging semantic-convention names (not yet in the stable set), spelled once here. */
const ATTR_MESSAGING_SYSTEM = 'messaging.system';
const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
const ATTR_ZEPHYR_MESSAGE_TYPE = 'zephyr.actor.message_type';
const ATTR_ZEPHYR_PLACEMENT = 'zephyr.actor.placement';
const MESSAGING_SYSTEM = 'zephyr';

/**
 * Actor spans. A send inside a trace carries the trace context as message headers (W3C); a
 * send to another thread or node also gets a PRODUCER span, whose context is what travels. The
 * receiving actor's CONSUMER span is a child of it, and current while the handler runs. A
 * message sent outside any trace gets no span, and its handler runs with no current span (never
 * the one of whatever happened to schedule the actor).
 */
export function subscribeActorSpans(tracer: Tracer): () => void {
  const sends = tracingChannel<string, SendChannelContext>(CHANNELS.send);
  const receives = tracingChannel<Context | undefined, ReceiveChannelContext>(CHANNELS.receive);
  const spans = new WeakMap<object, Span>();

  const sendHandlers = someEvents({
    start(data: SendChannelContext) {
      const active = context.active();
      if (trace.getSpan(active) === undefined) return;
      let ctx = active;
      if (data.placement !== 'local') {
        const span = tracer.startSpan(`send ${data.message.type}`, {
          kind: SpanKind.PRODUCER,
          attributes: messagingAttributes(data, 'send'),
        });
        spans.set(data, span);
        ctx = trace.setSpan(active, span);
      }
      const headers: Record<string, string> = {};
      w3cPropagator.inject(ctx, headers, recordSetter);
      data.headers = headers;
    },
    end(data: SendChannelContext) {
      const span = spans.get(data);
      if (span === undefined) return;
      spans.delete(data);
      if (data.error !== undefined) recordError(span, data.error);
      span.end();
    },
  });

  // `undefined`: no trace; the store runs the handler with no current context (see activeContextStore).
  const start = (data: ReceiveChannelContext): Context | undefined => {
    if (data.headers === undefined) return undefined;
    const parent = w3cPropagator.extract(ROOT_CONTEXT, data.headers, recordGetter);
    if (trace.getSpanContext(parent) === undefined) return parent;
    const span = tracer.startSpan(
      `process ${data.message.type}`,
      { kind: SpanKind.CONSUMER, attributes: messagingAttributes(data, 'process') },
      parent,
    );
    spans.set(data, span);
    return trace.setSpan(parent, span);
  };
  const finish = (data: ReceiveChannelContext): void => {
    const span = spans.get(data);
    if (span === undefined) return;
    spans.delete(data);
    if (data.error !== undefined) recordError(span, data.error);
    span.end();
  };
  const receiveHandlers = someEvents({
    // A synchronous handler's outcome (`result` or `error`) is set before `end`.
    end: (data: ReceiveChannelContext) => {
      if ('result' in data || 'error' in data) finish(data);
    },
    asyncEnd: finish,
  });

  const store = activeContextStore;
  sends.subscribe(sendHandlers);
  receives.start.bindStore(store, start);
  receives.subscribe(receiveHandlers);
  return () => {
    sends.unsubscribe(sendHandlers);
    receives.unsubscribe(receiveHandlers);
    receives.start.unbindStore(store);
  };
}

function messagingAttributes(
  data: { readonly address: string; readonly message: { readonly type: string }; readonly ask: boolean },
  operation: 'send' | 'process',
): Record<string, string> {
  return {
    [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM,
    [ATTR_MESSAGING_OPERATION_TYPE]: operation,
    [ATTR_MESSAGING_OPERATION_NAME]: data.ask ? 'ask' : 'tell',
    [ATTR_MESSAGING_DESTINATION_NAME]: data.address,
    [ATTR_ZEPHYR_MESSAGE_TYPE]: data.message.type,
    ...('placement' in data ? { [ATTR_ZEPHYR_PLACEMENT]: String(data.placement) } : {}),
  };
}
