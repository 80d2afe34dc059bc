import { AsyncLocalStorage } from 'node:async_hooks';
import type { TracingChannelSubscribers } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createApp,
  HttpError,
  type RequestTraceContext,
  requestChannel,
  requestEndChannel,
  requestScopeChannel,
} from '../src/index.js';

/** Every subscription a test made, undone after it so the channels are left as found. */
const undo: (() => void)[] = [];
afterEach(() => {
  for (const u of undo.splice(0).reverse()) u();
  expect(requestChannel.hasSubscribers).toBe(false);
  expect(requestScopeChannel.hasSubscribers).toBe(false);
  expect(requestEndChannel.hasSubscribers).toBe(false);
});

/** Records every event of both channels, in order, with the status each one saw. */
function recordEvents(): string[] {
  const events: string[] = [];
  const on = (name: string) => (message: unknown) => {
    const data = message as RequestTraceContext;
    events.push(`${name} ${data.route} ${data.status}`);
  };
  const scope = on('scope');
  const handlers: TracingChannelSubscribers<RequestTraceContext> = {
    start: on('start'),
    end: on('end'),
    asyncStart: on('asyncStart'),
    asyncEnd: on('asyncEnd'),
    error: on('error'),
  };
  requestScopeChannel.subscribe(scope);
  requestChannel.subscribe(handlers);
  undo.push(() => {
    requestScopeChannel.unsubscribe(scope);
    requestChannel.unsubscribe(handlers);
  });
  return events;
}

/** Sets a scope on every request: the request runs inside `als.run(value)`, wrapping any earlier scope. */
function scopeWith(als: AsyncLocalStorage<string>, value: string): void {
  const subscriber = (message: unknown) => {
    const data = message as RequestTraceContext;
    const inner = data.scope;
    data.scope =
      inner === undefined ? (serve) => als.run(value, serve) : (serve) => als.run(value, () => inner(serve));
  };
  requestScopeChannel.subscribe(subscriber);
  undo.push(() => requestScopeChannel.unsubscribe(subscriber));
}

function app(als?: AsyncLocalStorage<string>) {
  const a = createApp();
  a.get('/sync/:id', (ctx) => ctx.json({ store: als?.getStore() ?? null }));
  a.get('/async/:id', async (ctx) => {
    await new Promise((r) => setTimeout(r, 1));
    return ctx.json({ store: als?.getStore() ?? null });
  });
  a.get('/teapot', () => {
    throw new HttpError(418, 'short and stout');
  });
  return a;
}

describe('the request tracing channels', () => {
  it('publish scope, start and end around a synchronous request, with the route and status', async () => {
    const events = recordEvents();
    expect((await app().inject({ method: 'GET', url: '/sync/1' })).status).toBe(200);
    expect(events).toEqual(['scope /sync/:id 0', 'start /sync/:id 0', 'end /sync/:id 200']);
  });

  it('publish asyncStart and asyncEnd once an asynchronous request completes', async () => {
    const events = recordEvents();
    await app().inject({ method: 'GET', url: '/async/1' });
    expect(events).toEqual([
      'scope /async/:id 0',
      'start /async/:id 0',
      'end /async/:id 0',
      'asyncStart /async/:id 200',
      'asyncEnd /async/:id 200',
    ]);
  });

  it('publish error with the rendered status; a request no route matched has route "" and no error', async () => {
    const events = recordEvents();
    await app().inject({ method: 'GET', url: '/teapot' });
    await app().inject({ method: 'GET', url: '/nowhere' });
    expect(events).toEqual([
      'scope /teapot 0',
      'start /teapot 0',
      'end /teapot 0',
      'error /teapot 418',
      'asyncStart /teapot 418',
      'asyncEnd /teapot 418',
      'scope  0',
      'start  0',
      'end  0',
      'asyncStart  404',
      'asyncEnd  404',
    ]);
  });

  it('run a request inside the scope a subscriber set, across its awaits, and each request alone', async () => {
    const als = new AsyncLocalStorage<string>();
    scopeWith(als, 'traced');
    const a = app(als);
    expect((await a.inject({ method: 'GET', url: '/sync/1' })).json()).toEqual({ store: 'traced' });
    expect((await a.inject({ method: 'GET', url: '/async/1' })).json()).toEqual({ store: 'traced' });
    // The scope ends with the request: nothing leaks into the caller.
    expect(als.getStore()).toBeUndefined();
  });

  it('enter every scope when several subscribers set one, the first outermost', async () => {
    const outer = new AsyncLocalStorage<string>();
    const inner = new AsyncLocalStorage<string>();
    scopeWith(outer, 'outer');
    scopeWith(inner, 'inner');
    const a = createApp();
    a.get('/', async (ctx) => {
      await new Promise((r) => setTimeout(r, 1));
      return ctx.json([outer.getStore(), inner.getStore()]);
    });
    expect((await a.inject({ method: 'GET', url: '/' })).json()).toEqual(['outer', 'inner']);
  });

  it('leave a request with no scope set in no store, and skip start when only end is subscribed', async () => {
    const als = new AsyncLocalStorage<string>();
    const ends: number[] = [];
    // Node skips an event with no handler; its types ask for all five.
    const handlers = {
      end: (data: RequestTraceContext) => {
        ends.push(data.status);
      },
    } as Partial<
      TracingChannelSubscribers<RequestTraceContext>
    > as TracingChannelSubscribers<RequestTraceContext>;
    requestChannel.subscribe(handlers);
    undo.push(() => requestChannel.unsubscribe(handlers));
    expect((await app(als).inject({ method: 'GET', url: '/sync/1' })).json()).toEqual({ store: null });
    expect(ends).toEqual([200]);
  });

  it('still run stores bound to start (the TracingChannel way), inside any scope', async () => {
    const scoped = new AsyncLocalStorage<string>();
    const bound = new AsyncLocalStorage<string>();
    scopeWith(scoped, 'scope');
    requestChannel.start.bindStore(bound, (data) => `bound ${data.route}`);
    undo.push(() => requestChannel.start.unbindStore(bound));
    const a = createApp();
    a.get('/users/:id', async (ctx) => {
      await new Promise((r) => setTimeout(r, 1));
      return ctx.json([scoped.getStore(), bound.getStore()]);
    });
    expect((await a.inject({ method: 'GET', url: '/users/1' })).json()).toEqual([
      'scope',
      'bound /users/:id',
    ]);
  });

  describe('zephyr:server:request:end', () => {
    /** A scope subscriber asking the end of the requests `wants` picks, and what the end channel heard. */
    function endsOf(wants: (data: RequestTraceContext) => boolean): string[] {
      const heard: string[] = [];
      const scope = (message: unknown) => {
        const data = message as RequestTraceContext;
        if (wants(data)) data.wantsEnd = true;
      };
      const end = (message: unknown) => {
        const data = message as RequestTraceContext;
        heard.push(`${data.route} ${data.status}${data.error === undefined ? '' : ' error'}`);
      };
      requestScopeChannel.subscribe(scope);
      requestEndChannel.subscribe(end);
      undo.push(() => {
        requestScopeChannel.unsubscribe(scope);
        requestEndChannel.unsubscribe(end);
      });
      return heard;
    }

    it('is published once a request is over, synchronous or not, only for requests whose scope asked', async () => {
      const heard = endsOf((data) => data.route !== '/sync/:id' || data.params.id === '1');
      const a = app();
      await a.inject({ method: 'GET', url: '/sync/1' });
      await a.inject({ method: 'GET', url: '/sync/2' });
      await a.inject({ method: 'GET', url: '/async/1' });
      await a.inject({ method: 'GET', url: '/teapot' });
      await a.inject({ method: 'GET', url: '/nowhere' });
      expect(heard).toEqual(['/sync/:id 200', '/async/:id 200', '/teapot 418 error', ' 404']);
    });

    it('comes after the tracing channel events when both are subscribed', async () => {
      const events = recordEvents();
      const heard = endsOf(() => true);
      const end = () => events.push('request:end');
      requestEndChannel.subscribe(end);
      undo.push(() => requestEndChannel.unsubscribe(end));
      await app().inject({ method: 'GET', url: '/async/1' });
      expect(heard).toEqual(['/async/:id 200']);
      expect(events.slice(-3)).toEqual([
        'asyncStart /async/:id 200',
        'asyncEnd /async/:id 200',
        'request:end',
      ]);
    });

    it('reuses the payload of a request nobody asked about or whose end was published, never one in use', async () => {
      const seen: RequestTraceContext[] = [];
      const scope = (message: unknown) => {
        seen.push(message as RequestTraceContext);
      };
      requestScopeChannel.subscribe(scope);
      undo.push(() => requestScopeChannel.unsubscribe(scope));
      const a = app();
      const inner = createApp();
      inner.get('/inner', (ctx) => ctx.text('inner'));
      // A request served inside another (its synchronous part) gets a payload of its own.
      a.get('/outer', async (ctx) => {
        const res = await inner.inject({ method: 'GET', url: '/inner' });
        return ctx.text(res.text());
      });
      await a.inject({ method: 'GET', url: '/sync/1' });
      await a.inject({ method: 'GET', url: '/sync/2' });
      expect(seen[1]).toBe(seen[0]);
      expect(seen[1]).toMatchObject({ route: '/sync/:id', params: { id: '2' }, status: 0, scope: undefined });
      expect((await a.inject({ method: 'GET', url: '/outer' })).text()).toBe('inner');
      expect(seen[3]).not.toBe(seen[2]);
      expect(seen[2]?.route).toBe('/outer');
      expect(seen[3]?.route).toBe('/inner');
      // A payload whose end was asked for is reused once that end is published, reset.
      const asked = endsOf(() => true);
      await a.inject({ method: 'GET', url: '/sync/3' });
      await a.inject({ method: 'GET', url: '/sync/4' });
      expect(asked).toEqual(['/sync/:id 200', '/sync/:id 200']);
      expect(seen[5]).toBe(seen[4]);
      expect(seen[5]).toMatchObject({ params: { id: '4' }, status: 0, wantsEnd: false, scope: undefined });
      // ... and never while its request runs: one still waiting keeps its own, ended after the others.
      const running = a.inject({ method: 'GET', url: '/async/1' });
      await a.inject({ method: 'GET', url: '/sync/5' });
      await a.inject({ method: 'GET', url: '/teapot' });
      expect(seen[7]).not.toBe(seen[6]);
      expect(seen[6]?.route).toBe('/async/:id');
      expect(seen[8]).toBe(seen[7]); // the sync one's, after its end
      await running;
      expect(asked.slice(2)).toEqual(['/sync/:id 200', '/teapot 418 error', '/async/:id 200']);
      expect(seen[6]).toMatchObject({ route: '/async/:id', status: 0, error: undefined });
    });
  });
});
