import { Counter, register } from 'prom-client';

function counter(name: string, help: string, labelNames: string[]): Counter<string> {
  const existing = register.getSingleMetric(name);
  return (existing as Counter<string> | undefined) ?? new Counter({ name, help, labelNames });
}

/** Message counters, on the default prom-client registry that `/metrics` serves. */
export const messagingMetrics = {
  published: counter('statex_messages_published_total', 'Messages published with a broker confirm', ['routing_key']),
  consumed: counter('statex_messages_consumed_total', 'Messages handled successfully and acknowledged', ['routing_key']),
  retried: counter('statex_messages_retried_total', 'Messages sent to a retry queue after their handler threw', ['routing_key']),
  deadLettered: counter('statex_messages_dead_lettered_total', 'Messages parked in the dead-letter queue', ['routing_key', 'reason']),
};
