import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import pino from 'pino';
import { Counter, Gauge, register } from 'prom-client';
import { LogShippingConfig } from './log-shipping.config';
import { LogShipper } from './log-shipper';

/** The process's one shipper (every logger of the process writes through it). */
let shipper: LogShipper | undefined;
let shared: pino.DestinationStream | undefined;

function shippingMetrics(): void {
  if (register.getSingleMetric('statex_log_lines_dropped_total')) return;
  let shippedSeen = 0;
  let droppedSeen = 0;
  new Counter({
    name: 'statex_log_lines_shipped_total',
    help: 'Log lines this process shipped to the logging service (RabbitMQ, <ns>.logs)',
    collect() {
      const now = shipper?.shipped ?? 0;
      if (now > shippedSeen) this.inc(now - shippedSeen);
      shippedSeen = now;
    },
  });
  new Counter({
    name: 'statex_log_lines_dropped_total',
    help: 'Log lines not shipped because the broker stayed unreachable and the buffer was full (stdout still has them)',
    collect() {
      const now = shipper?.dropped ?? 0;
      if (now > droppedSeen) this.inc(now - droppedSeen);
      droppedSeen = now;
    },
  });
  new Gauge({
    name: 'statex_log_lines_buffered',
    help: 'Log lines waiting to be shipped',
    collect() {
      this.set(shipper?.buffered ?? 0);
    },
  });
}

/**
 * stdout (every line, as before) plus, when shipping is on, a LogShipper that batches the lines
 * to RabbitMQ on a connection of its own. One per process.
 *
 * In the service's own thread, not a pino transport's worker thread: a line costs an append to a
 * bounded array (LogShipper.push never waits and never throws), a batch one publish, and a worker
 * thread is a second V8 instance, about 8 MB of every app's idle memory (docs/benchmarks.md).
 */
export function logDestination(service: string, config: LogShippingConfig): pino.DestinationStream | undefined {
  if (!config.enabled) return undefined;
  if (shared) return shared;
  const started = new LogShipper({
    url: config.url,
    namespace: config.namespace,
    service,
    bufferLines: config.bufferLines,
    batchLines: config.batchLines,
    flushMs: config.flushMs,
  }).start();
  shipper = started;
  shippingMetrics();
  const shipping = {
    // pino writes one whole line per call, its newline included.
    write(line: string) {
      started.push(line.endsWith('\n') ? line.slice(0, -1) : line);
    },
  };
  shared = pino.multistream([
    { level: 'trace', stream: pino.destination({ fd: 1, sync: true }) },
    { level: 'trace', stream: shipping },
  ]);
  return shared;
}

/** Ships what is still buffered (at most 2 s) and disconnects, when the app shuts down. */
@Injectable()
export class LogShippingShutdown implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await shipper?.close();
  }
}
