import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { Counter, Gauge, register } from 'prom-client';
import { LogShippingConfig } from './log-shipping.config';
import { ShipperCounter } from './log-shipper';

/** The worker's compiled file: present in dist/, absent when the code runs from TypeScript (jest). */
const WORKER = join(__dirname, 'log-shipping.worker.js');

export function logShippingAvailable(): boolean {
  return existsSync(WORKER);
}

let counters: BigInt64Array | undefined;

function shippingMetrics(): void {
  if (register.getSingleMetric('statex_log_lines_dropped_total')) return;
  const read = (slot: number) => (counters ? Number(Atomics.load(counters, slot)) : 0);
  let shippedSeen = 0;
  let droppedSeen = 0;
  new Counter({
    name: 'statex_log_lines_shipped_total',
    help: 'Log lines this process shipped to the logging service (RabbitMQ, <ns>.logs)',
    collect() {
      const now = read(ShipperCounter.Shipped);
      if (now > shippedSeen) this.inc(now - shippedSeen);
      shippedSeen = now;
    },
  });
  new Counter({
    name: 'statex_log_lines_dropped_total',
    help: 'Log lines not shipped because the broker stayed unreachable and the buffer was full (stdout still has them)',
    collect() {
      const now = read(ShipperCounter.Dropped);
      if (now > droppedSeen) this.inc(now - droppedSeen);
      droppedSeen = now;
    },
  });
  new Gauge({
    name: 'statex_log_lines_buffered',
    help: 'Log lines waiting to be shipped',
    collect() {
      this.set(read(ShipperCounter.Buffered));
    },
  });
}

/**
 * stdout (every line, as before) plus, when shipping is on and the compiled worker is
 * there, a pino transport whose worker thread batches lines to RabbitMQ. One per process.
 */
let shared: pino.DestinationStream | undefined;

export function logDestination(service: string, config: LogShippingConfig): pino.DestinationStream | undefined {
  if (!config.enabled || !logShippingAvailable()) return undefined;
  if (shared) return shared;
  const buffer = new SharedArrayBuffer(3 * 8);
  counters = new BigInt64Array(buffer);
  shippingMetrics();
  const transport = pino.transport({
    target: WORKER,
    options: {
      url: config.url,
      namespace: config.namespace,
      service,
      bufferLines: config.bufferLines,
      batchLines: config.batchLines,
      flushMs: config.flushMs,
      counters: buffer,
    },
  });
  // Shipping must never take the service down: a dead worker only stops shipping. What it held,
  // and every line after, is counted as dropped (stdout still has them all).
  const slots = counters;
  let alive = true;
  const died = (reason?: string) => {
    if (!alive) return;
    alive = false;
    Atomics.add(slots, ShipperCounter.Dropped, Atomics.exchange(slots, ShipperCounter.Buffered, 0n));
    // A closing process ends the worker too: only a failure is worth a line.
    if (reason) process.stderr.write(`Log shipping stopped (${reason}); lines stay on stdout and count as dropped\n`);
  };
  transport.on('error', (error: Error) => died(error?.message ?? String(error)));
  transport.on('close', () => died());
  const guarded = {
    write(line: string) {
      if (alive) {
        try {
          transport.write(line);
          return;
        } catch (error) {
          died((error as Error).message);
        }
      }
      Atomics.add(slots, ShipperCounter.Dropped, 1n);
    },
  };
  shared = pino.multistream([
    { level: 'trace', stream: pino.destination({ fd: 1, sync: true }) },
    { level: 'trace', stream: guarded },
  ]);
  return shared;
}
