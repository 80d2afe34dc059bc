import { channel } from 'node:diagnostics_channel';
import {
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type SpanOptions,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import { CHANNELS, type RequestChannelContext } from './channel-contexts.js';
import { incomingContext } from './incoming-context.js';
import { recordError } from './record-error.js';
import { presampled, type RootDecision } from './request-sampler.js';

type Request = RequestChannelContext['request'];

/** Where a request's span is kept on the channel's payload (the payload is the publisher's object). */
const kSpan = Symbol('@zephyr/tracer request span');
type Traced = RequestChannelContext & { [kSpan]?: Span | undefined };

/**
 * HTTP server spans around every sampled request: the parent comes from the incoming
 * `traceparent` (a request without one starts a trace), `baggage` rides along in the context,
 * and the span is current for the whole request so database and actor spans nest under it.
 *
 * Sampling is decided once, first, on `zephyr:server:request:scope` before the request runs; only
 * a request with a context to enter gets a scope, and only a sampled one asks for its end (on
 * `zephyr:server:request:end`). One that nobody samples and that arrives with no trace context
 * does no span work, enters no context, makes no closure and publishes no end (database, actor
 * and fetch spans start only inside a trace, so nothing below it starts one): it costs two header
 * lookups and the scope publish. One that arrives with a context but is not sampled runs in the
 * caller's context, so its trace id and flags still travel on.
 *
 * @param decideRoot `setupTracing`'s draw for requests that start a trace; without one (an app's
 *   own SDK) the SDK's sampler decides through `startSpan`.
 */
export function subscribeServerSpans(tracer: Tracer, decideRoot?: RootDecision): () => void {
  const scopes = channel(CHANNELS.requestScope);
  const ends = channel(CHANNELS.requestEnd);
  const names = new SpanNames();
  const sampledSpan = (data: Traced, parent: Context): Span | undefined => {
    const req = data.request;
    const remote = parent === ROOT_CONTEXT ? undefined : trace.getSpanContext(parent);
    if (decideRoot !== undefined) {
      // setupTracing's sampler is parent-based: a caller's decision stands, a new trace is drawn.
      const sampled = remote === undefined ? decideRoot() : (remote.traceFlags & TraceFlags.SAMPLED) !== 0;
      if (!sampled) return undefined;
      // Its sampler reads no attributes, so they are set once the span exists: the SDK checks an
      // attribute given to startSpan twice (for the sampler, then for the span), one set later once.
      const span = tracer.startSpan(
        names.of(req.method, data.route),
        SERVER,
        remote === undefined ? presampled(parent) : parent,
      );
      span.setAttribute(ATTR_HTTP_REQUEST_METHOD, req.method);
      if (data.route !== '') span.setAttribute(ATTR_HTTP_ROUTE, data.route);
      setRequestAttributes(span, req);
      return span;
    }
    // An app's own sampler may look at method and route; the rest is set only on recorded spans.
    const span = tracer.startSpan(
      names.of(req.method, data.route),
      {
        kind: SpanKind.SERVER,
        attributes:
          data.route === ''
            ? { [ATTR_HTTP_REQUEST_METHOD]: req.method }
            : { [ATTR_HTTP_REQUEST_METHOD]: req.method, [ATTR_HTTP_ROUTE]: data.route },
      },
      parent,
    );
    if (!span.isRecording()) return undefined;
    setRequestAttributes(span, req);
    return span;
  };
  const begin = (message: unknown): void => {
    const data = message as Traced;
    const parent = incomingContext(data.request);
    const span = sampledSpan(data, parent);
    if (span !== undefined) {
      data[kSpan] = span;
      data.wantsEnd = true;
      enterScope(data, trace.setSpan(parent, span));
    } else if (parent !== ROOT_CONTEXT) {
      enterScope(data, parent);
    } else if (context.active() !== ROOT_CONTEXT) {
      // An ambient context (left current by whatever called in) is cleared, so the request's
      // work never nests under a span that is not its own.
      enterScope(data, ROOT_CONTEXT);
    }
  };
  // Published only for requests a scope subscriber asked the end of (ours: the sampled ones).
  const finish = (message: unknown): void => {
    const data = message as Traced;
    const span = data[kSpan];
    if (span === undefined) return;
    data[kSpan] = undefined;
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, data.status);
    // Server spans: only 5xx (or a failure with no status) is an error; a 4xx is the client's.
    if (data.status >= 500 || data.status === 0)
      recordError(span, data.error ?? new Error(`HTTP ${data.status}`));
    else if (data.error !== undefined) span.recordException(toError(data.error));
    span.end();
  };
  scopes.subscribe(begin);
  ends.subscribe(finish);
  return () => {
    ends.unsubscribe(finish);
    scopes.unsubscribe(begin);
  };
}

/** Makes `ctx` current for the rest of the request, inside any scope another subscriber set. */
function enterScope(data: Traced, ctx: Context): void {
  const inner = data.scope;
  data.scope =
    inner === undefined
      ? (serve) => context.with(ctx, serve)
      : (serve) => context.with(ctx, () => inner(serve));
}

/** The options of every request span's `startSpan`: one object, not one per request. */
const SERVER: SpanOptions = { kind: SpanKind.SERVER };

/** Every attribute of a request span but method, route and status, one call each (no object to build). */
function setRequestAttributes(span: Span, req: Request): void {
  span.setAttribute(ATTR_URL_PATH, req.path);
  span.setAttribute(ATTR_URL_SCHEME, 'http');
  span.setAttribute(ATTR_NETWORK_PROTOCOL_VERSION, req.httpVersion);
  span.setAttribute(ATTR_CLIENT_ADDRESS, req.remoteAddress);
  const ua = req.header('user-agent');
  if (ua !== undefined) span.setAttribute(ATTR_USER_AGENT_ORIGINAL, ua);
}

/** Span names (`GET /users/:id`), built once per method and route rather than per request. */
class SpanNames {
  /** Bounded: methods and routes are the app's, but an engine may pass any method token through. */
  static readonly MAX = 1024;
  readonly #names = new Map<string, Map<string, string>>();
  #count = 0;
  // The last name given: requests in a row mostly share a route (its pattern is one string).
  #lastMethod = '';
  #lastRoute = '';
  #lastName = '';

  of(method: string, route: string): string {
    if (route === this.#lastRoute && method === this.#lastMethod) return this.#lastName;
    let byRoute = this.#names.get(method);
    let name = byRoute?.get(route);
    if (name === undefined) {
      name = route === '' ? method : `${method} ${route}`;
      if (this.#count >= SpanNames.MAX) return name;
      if (byRoute === undefined) {
        byRoute = new Map();
        this.#names.set(method, byRoute);
      }
      byRoute.set(route, name);
      this.#count++;
    }
    this.#lastMethod = method;
    this.#lastRoute = route;
    this.#lastName = name;
    return name;
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
