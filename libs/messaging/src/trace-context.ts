import { context, propagation, ROOT_CONTEXT, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

/**
 * One lead's journey is one trace: the W3C trace context travels in AMQP headers
 * (`traceparent`, `tracestate`) and, across the outbox, in the row written with the state change.
 * Everything here is a no-op while tracing is off (no SDK registered).
 */
const tracer = () => trace.getTracer('@statex/messaging');

/** The active trace context as W3C headers (empty while tracing is off or outside a span). */
export function activeTraceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** Runs `work` in the trace context carried by `headers` (an outbox row's, a message's). */
export function withTraceHeaders<T>(headers: Record<string, unknown> | null | undefined, work: () => T): T {
  if (!headers) return work();
  return context.with(propagation.extract(ROOT_CONTEXT, stringHeaders(headers)), work);
}

async function inSpan<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await context.with(trace.setSpan(context.active(), span), work);
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/** A producer span for one publish; `headers` receives its context for the consumer. */
export function publishSpan<T>(destination: string, routingKey: string, messageId: string, headers: Record<string, unknown>, work: () => Promise<T>): Promise<T> {
  const span = tracer().startSpan(`publish ${routingKey}`, {
    kind: SpanKind.PRODUCER,
    attributes: { 'messaging.system': 'rabbitmq', 'messaging.operation.type': 'send', 'messaging.destination.name': destination, 'messaging.rabbitmq.destination.routing_key': routingKey, 'messaging.message.id': messageId },
  });
  propagation.inject(trace.setSpan(context.active(), span), headers);
  return inSpan(span, work);
}

/** A consumer span for handling one delivery, a child of the publisher's span carried in its headers. */
export function processSpan<T>(queue: string, routingKey: string, messageId: string, headers: Record<string, unknown> | undefined, attempt: number, work: () => Promise<T>): Promise<T> {
  const parent = propagation.extract(ROOT_CONTEXT, stringHeaders(headers ?? {}));
  const span = tracer().startSpan(
    `process ${routingKey}`,
    { kind: SpanKind.CONSUMER, attributes: { 'messaging.system': 'rabbitmq', 'messaging.operation.type': 'process', 'messaging.destination.name': queue, 'messaging.rabbitmq.destination.routing_key': routingKey, 'messaging.message.id': messageId, 'statex.attempt': attempt } },
    parent,
  );
  return context.with(parent, () => inSpan(span, work));
}

function stringHeaders(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ['traceparent', 'tracestate']) if (typeof headers[key] === 'string') out[key] = headers[key] as string;
  return out;
}
