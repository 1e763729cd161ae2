import { Counter, Gauge, register } from 'prom-client';

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
  redelivered: counter('statex_messages_redelivered_total', 'Deliveries the broker marked redelivered (a consumer went away holding them unacknowledged)', ['routing_key']),
  settleFailed: counter('statex_messages_settle_failed_total', 'Retry or park copies the broker refused or returned; the original stays unacknowledged', ['routing_key']),
};

function gauge(name: string, help: string, collect: (this: Gauge<string>) => Promise<void>): Gauge<string> {
  const existing = register.getSingleMetric(name);
  return (existing as Gauge<string> | undefined) ?? new Gauge({ name, help, collect });
}

/** The outbox: rows set aside, and (read from the database at scrape time) lag and rows set aside now. */
export const outboxMetrics = {
  setAside: counter('statex_outbox_set_aside_total', 'Outbox rows set aside after failing to publish too many times', []),
  replayed: counter('statex_outbox_replayed_total', 'Published outbox rows sent again to a consumer whose queue was deleted', []),
  lag: gauge('statex_outbox_lag_seconds', 'Age of the oldest outbox row waiting to be published (0 when none)', async function () {
    const { relays } = await import('./outbox/outbox.relay');
    const lags = await Promise.all([...relays].map((r) => r.backlog().catch(() => ({ lagSeconds: 0, setAside: 0 }))));
    this.set(Math.max(0, ...lags.map((l) => l.lagSeconds)));
  }),
  setAsideRows: gauge('statex_outbox_set_aside_rows', 'Outbox rows set aside now, waiting for an operator', async function () {
    const { relays } = await import('./outbox/outbox.relay');
    const rows = await Promise.all([...relays].map((r) => r.backlog().catch(() => ({ lagSeconds: 0, setAside: 0 }))));
    this.set(rows.reduce((sum, r) => sum + r.setAside, 0));
  }),
};

/** What a consumer reports at scrape time: whether it is attached, and its queues' depths. */
export interface ConsumerGauges {
  readonly serviceQueue: string;
  isAttached(): boolean;
  /** Messages waiting in the service's queue, its `.dlq` and `unrouted` (absent when unknown). */
  queueDepths(): Promise<Array<{ queue: string; kind: 'work' | 'dlq' | 'unrouted'; messages: number }>>;
}

/** The consumers running in this process, which the consumer gauges read at scrape time. */
export const consumers = new Set<ConsumerGauges>();

function labelledGauge(name: string, help: string, labelNames: string[], collect: (this: Gauge<string>) => Promise<void>): Gauge<string> {
  const existing = register.getSingleMetric(name);
  return (existing as Gauge<string> | undefined) ?? new Gauge({ name, help, labelNames, collect });
}

export const consumerMetrics = {
  attached: labelledGauge('statex_consumer_attached', '1 while the service consumes its queue, 0 while detached (outage, reconnecting)', ['queue'], async function () {
    this.reset();
    for (const consumer of consumers) this.set({ queue: consumer.serviceQueue }, consumer.isAttached() ? 1 : 0);
  }),
  depth: labelledGauge('statex_queue_messages', 'Messages waiting in a queue, read from the broker at scrape time (kind: work, dlq, unrouted)', ['queue', 'kind'], async function () {
    this.reset();
    for (const consumer of consumers) {
      for (const { queue, kind, messages } of await consumer.queueDepths().catch(() => [])) this.set({ queue, kind }, messages);
    }
  }),
};
