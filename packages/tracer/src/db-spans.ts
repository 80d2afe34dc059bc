import { tracingChannel } from 'node:diagnostics_channel';
import { context, type Span, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from '@opentelemetry/semantic-conventions';
import {
  type AcquireChannelContext,
  CHANNELS,
  type QueryChannelContext,
  someEvents,
} from './channel-contexts.js';
import { recordError } from './record-error.js';
import { addSqlComment } from './sql-commenter.js';

/** Semantic-convention names not yet in the stable set, spelled once here. */
const ATTR_DB_RESPONSE_RETURNED_ROWS = 'db.response.returned_rows';
const ATTR_POOL_MAX = 'db.client.connection.pool.max';
const ATTR_ZEPHYR_DIALECT = 'zephyr.db.dialect';
const ATTR_ZEPHYR_STATEMENT = 'zephyr.db.statement_name';
const ATTR_ZEPHYR_POOL_WAITING = 'zephyr.db.pool.waiting';
const ATTR_ZEPHYR_POOL_WAIT_MS = 'zephyr.db.pool.wait_ms';

/** Options of {@link subscribeDbSpans}. */
export interface DbSpanOptions {
  /** Append a sqlcommenter `traceparent` comment to sampled statements (they then run unprepared). */
  readonly sqlCommenter: boolean;
}

/**
 * Database client spans for every statement and pool checkout made inside a trace. One made
 * outside any (startup, migrations, or a request nobody samples, which enters no context) gets
 * none: it would only start a stray trace of its own.
 */
export function subscribeDbSpans(tracer: Tracer, options: DbSpanOptions): () => void {
  const queries = tracingChannel<string, QueryChannelContext>(CHANNELS.query);
  const acquires = tracingChannel<string, AcquireChannelContext>(CHANNELS.acquire);
  const spans = new WeakMap<object, Span>();

  const queryHandlers = someEvents({
    start(data: QueryChannelContext) {
      if (trace.getSpan(context.active()) === undefined) return;
      const name =
        data.operation === undefined ? 'postgresql' : `${data.operation} ${data.table ?? ''}`.trim();
      const span = tracer.startSpan(name, {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
          ...(data.operation === undefined ? {} : { [ATTR_DB_OPERATION_NAME]: data.operation }),
          ...(data.table === undefined ? {} : { [ATTR_DB_COLLECTION_NAME]: data.table }),
        },
      });
      if (span.isRecording()) {
        span.setAttribute(ATTR_ZEPHYR_DIALECT, data.dialect);
        // Compiled queries carry values as parameters; raw SQL may hold literals, so it is left out.
        if (data.operation !== undefined || data.parameterCount > 0)
          span.setAttribute(ATTR_DB_QUERY_TEXT, data.sql);
      }
      spans.set(data, span);
      if (options.sqlCommenter && span.isRecording()) {
        data.sql = addSqlComment(data.sql, trace.setSpan(context.active(), span));
      }
    },
    asyncEnd(data: QueryChannelContext) {
      const span = spans.get(data);
      if (span === undefined) return;
      spans.delete(data);
      if (data.statementName !== undefined) span.setAttribute(ATTR_ZEPHYR_STATEMENT, data.statementName);
      if (data.rows !== undefined) span.setAttribute(ATTR_DB_RESPONSE_RETURNED_ROWS, data.rows);
      if (data.error !== undefined) recordError(span, data.error);
      span.end();
    },
  });

  const acquireHandlers = someEvents({
    start(data: AcquireChannelContext) {
      if (trace.getSpan(context.active()) === undefined) return;
      spans.set(
        data,
        tracer.startSpan('acquire connection', {
          kind: SpanKind.INTERNAL,
          attributes: {
            [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
            [ATTR_POOL_MAX]: data.max,
            [ATTR_ZEPHYR_POOL_WAITING]: data.waiting,
          },
        }),
      );
    },
    asyncEnd(data: AcquireChannelContext) {
      const span = spans.get(data);
      if (span === undefined) return;
      spans.delete(data);
      if (data.waitMs !== undefined) span.setAttribute(ATTR_ZEPHYR_POOL_WAIT_MS, data.waitMs);
      if (data.error !== undefined) recordError(span, data.error);
      span.end();
    },
  });

  queries.subscribe(queryHandlers);
  acquires.subscribe(acquireHandlers);
  return () => {
    queries.unsubscribe(queryHandlers);
    acquires.unsubscribe(acquireHandlers);
  };
}
