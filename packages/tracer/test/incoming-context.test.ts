import { type Context, propagation, ROOT_CONTEXT, type TextMapGetter, trace } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { incomingContext } from '../src/incoming-context.js';

/** The SDK's own W3C propagators, as an app's SDK would extract with them. */
const sdk = new CompositePropagator({
  propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
});
const getter: TextMapGetter<Record<string, string>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};
const request = (headers: Record<string, string>) => ({ header: (name: string) => headers[name] });

/** What a context carries that propagation reads: the remote parent and the baggage entries. */
function carried(ctx: Context) {
  const parent = trace.getSpanContext(ctx);
  return {
    root: ctx === ROOT_CONTEXT,
    parent:
      parent === undefined
        ? undefined
        : { ...parent, traceState: parent.traceState?.serialize() ?? undefined },
    baggage: propagation
      .getBaggage(ctx)
      ?.getAllEntries()
      .map(([key, entry]) => [key, entry.value, entry.metadata?.toString()]),
  };
}

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

describe('the caller context of an incoming request', () => {
  const traceparents = [
    `00-${TRACE}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-00`,
    `00-${TRACE}-${SPAN}-ff`,
    `00-${TRACE}-${SPAN}-0b`,
    `00-${TRACE.toUpperCase()}-${SPAN}-01`,
    `00-${TRACE}-${SPAN.toUpperCase()}-01`,
    `00-${TRACE}-${SPAN}-0G`,
    `00-${TRACE}-${SPAN}-1`,
    `00-${'0'.repeat(32)}-${SPAN}-01`,
    `00-${TRACE}-${'0'.repeat(16)}-01`,
    `00-${TRACE.slice(1)}x-${SPAN}-01`,
    `00-${TRACE}-${SPAN.slice(1)}g-01`,
    `00_${TRACE}-${SPAN}-01`,
    `00-${TRACE}_${SPAN}-01`,
    `00-${TRACE}-${SPAN}_01`,
    `00-${TRACE}-${SPAN}-01-extra`,
    `01-${TRACE}-${SPAN}-01-future`,
    `01-${TRACE}-${SPAN}-01`,
    `ff-${TRACE}-${SPAN}-01`,
    `0g-${TRACE}-${SPAN}-01`,
    ` 00-${TRACE}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-01 `,
    `\t00-${TRACE}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-01\n`,
    `00-${TRACE}-${SPAN}`,
    `00-${TRACE}-${SPAN}-01${'x'.repeat(1000)}`,
    '00-zz-nothex-01',
    '',
    '-'.repeat(55),
    `00-${TRACE}-${SPAN}-0\u0661`,
  ];

  it('reads every traceparent as the SDK’s W3C propagator does, valid or not', () => {
    for (const traceparent of traceparents) {
      const headers = { traceparent };
      expect(carried(incomingContext(request(headers))), JSON.stringify(traceparent)).toEqual(
        carried(sdk.extract(ROOT_CONTEXT, headers, getter)),
      );
    }
  });

  it('reads tracestate and baggage as the SDK does, alone or together', () => {
    const cases: Record<string, string>[] = [
      { traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' },
      { traceparent: `00-${TRACE}-${SPAN}-00`, tracestate: 'bad state ,,=' },
      { traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: '' },
      { tracestate: 'congo=t61rcWkgMzE' },
      { baggage: 'tenant=acme,user=ada;prop=1' },
      { traceparent: `00-${TRACE}-${SPAN}-01`, baggage: 'tenant=acme' },
      { traceparent: 'malformed', baggage: 'tenant=acme' },
      { baggage: '%%%,=,;;;,\u0000' },
      { baggage: '' },
      { traceparent: '', baggage: '' },
      {},
    ];
    for (const headers of cases) {
      expect(carried(incomingContext(request(headers))), JSON.stringify(headers)).toEqual(
        carried(sdk.extract(ROOT_CONTEXT, headers, getter)),
      );
    }
  });

  it('is the root context itself when the request carries nothing, so nothing is entered for it', () => {
    expect(incomingContext(request({ 'user-agent': 'curl' }))).toBe(ROOT_CONTEXT);
    expect(incomingContext(request({ traceparent: 'nope' }))).toBe(ROOT_CONTEXT);
  });
});
