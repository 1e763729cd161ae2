import { Counter, Gauge, register } from 'prom-client';

function counter(name: string, help: string, labelNames: string[]): Counter<string> {
  return (register.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help, labelNames });
}

export const notificationMetrics = {
  deliveries: counter('statex_notification_deliveries_total', 'Delivery outcomes by channel: sent, retried, fallback, failed', ['channel', 'outcome']),
};

/** A gauge read at scrape time: manual (LinkedIn) tasks pending past their SLA. */
export function overdueTasksGauge(count: () => Promise<number>): Gauge<string> {
  const name = 'statex_notification_manual_overdue';
  const existing = register.getSingleMetric(name);
  if (existing) register.removeSingleMetric(name);
  return new Gauge({
    name,
    help: 'Manual notification tasks pending longer than LINKEDIN_TASK_SLA_HOURS',
    async collect() {
      this.set(await count().catch(() => 0));
    },
  });
}
