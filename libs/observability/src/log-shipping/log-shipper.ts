import amqp, { ChannelModel, ConfirmChannel } from 'amqplib';

/** The topic exchange log lines travel on, apart from the domain events (`<ns>.events`). */
export function logExchangeOf(namespace: string): string {
  return `${namespace}.logs`;
}

/** The queue the logging service reads shipped lines from: `<ns>.logging.logs`, bound to `<ns>.logs` for every service. */
export function logQueueOf(namespace: string): string {
  return `${namespace}.logging.logs`;
}

/** The fanout exchange the logging service republishes stored lines on, for live tails: `<ns>.logs.tail`. */
export function logTailExchangeOf(namespace: string): string {
  return `${logExchangeOf(namespace)}.tail`;
}

/** Everything log shipping puts on the broker for a namespace, apart from the event topology (for namespace cleanup). */
export function logShippingTopologyOf(namespace: string): { queues: string[]; exchanges: string[] } {
  return { queues: [logQueueOf(namespace)], exchanges: [logExchangeOf(namespace), logTailExchangeOf(namespace)] };
}

export interface LogShipperOptions {
  url: string;
  namespace: string;
  /** The shipping service: the routing key of its batches. */
  service: string;
  /** Lines kept while the broker is unreachable; beyond this, new lines are dropped and counted. */
  bufferLines: number;
  /** Lines per message (one NDJSON body). */
  batchLines: number;
  /** A partial batch waits at most this long. */
  flushMs: number;
}

/**
 * Batches log lines (JSON text, one per line) to RabbitMQ without ever waiting on it:
 * `push` only appends to a bounded buffer (or drops and counts when it is full); a
 * confirm channel publishes one batch at a time, and a lost broker is retried with
 * a growing delay while the buffer absorbs what it can.
 */
export class LogShipper {
  private readonly buffer: string[] = [];
  private shippedLines = 0;
  private droppedLines = 0;
  private connection?: ChannelModel;
  private channel?: ConfirmChannel;
  private connecting = false;
  private sending = false;
  private closed = false;
  private reconnectDelayMs = 500;
  private timer?: NodeJS.Timeout;
  private idle: Array<() => void> = [];

  constructor(private readonly options: LogShipperOptions) {}

  get exchange(): string {
    return logExchangeOf(this.options.namespace);
  }

  get shipped(): number {
    return this.shippedLines;
  }

  get dropped(): number {
    return this.droppedLines;
  }

  get buffered(): number {
    return this.buffer.length;
  }

  start(): this {
    this.timer = setInterval(() => this.flush(), this.options.flushMs);
    this.timer.unref();
    void this.connect();
    return this;
  }

  /** Never blocks, never throws. */
  push(line: string): void {
    if (line.length === 0) return;
    if (this.buffer.length >= this.options.bufferLines) {
      this.droppedLines += 1;
      return;
    }
    this.buffer.push(line);
    if (this.buffer.length >= this.options.batchLines) this.flush();
  }

  private async connect(): Promise<void> {
    if (this.connecting || this.closed || this.channel) return;
    this.connecting = true;
    try {
      // noDelay: with Nagle's algorithm on, a batch published while the last one's frames are unacknowledged waits up to 40 ms.
      const connection = await amqp.connect(this.options.url, { timeout: 5000, noDelay: true });
      connection.on('error', () => undefined);
      connection.on('close', () => this.lost());
      const channel = await connection.createConfirmChannel();
      channel.on('error', () => undefined);
      channel.on('close', () => this.lost());
      await channel.assertExchange(this.exchange, 'topic', { durable: true });
      this.connection = connection;
      this.channel = channel;
      this.reconnectDelayMs = 500;
      this.flush();
    } catch {
      this.scheduleReconnect();
    } finally {
      this.connecting = false;
    }
  }

  private lost(): void {
    if (!this.channel && !this.connection) return;
    this.channel = undefined;
    const connection = this.connection;
    this.connection = undefined;
    void connection?.close().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(delay * 2, 10_000);
    setTimeout(() => void this.connect(), delay).unref();
  }

  private flush(): void {
    if (this.sending || !this.channel || this.buffer.length === 0) {
      if (!this.sending && this.buffer.length === 0) this.settleIdle();
      return;
    }
    const channel = this.channel;
    const batch = this.buffer.splice(0, this.options.batchLines);
    this.sending = true;
    const body = Buffer.from(`${batch.join('\n')}\n`);
    const done = (error: unknown) => {
      this.sending = false;
      if (error) {
        // Not taken by the broker: back to the front, as far as the bound allows.
        const room = Math.max(0, this.options.bufferLines - this.buffer.length);
        this.buffer.unshift(...batch.slice(0, room));
        if (batch.length > room) this.droppedLines += batch.length - room;
      } else {
        this.shippedLines += batch.length;
      }
      if (!error) this.flush();
      else if (this.buffer.length === 0) this.settleIdle();
    };
    try {
      channel.publish(
        this.exchange,
        this.options.service,
        body,
        { contentType: 'application/x-ndjson', appId: this.options.service, persistent: false, timestamp: Math.floor(Date.now() / 1000) },
        (error) => done(error),
      );
    } catch (error) {
      done(error);
    }
  }

  private settleIdle(): void {
    const waiting = this.idle;
    this.idle = [];
    for (const resolve of waiting) resolve();
  }

  /** Ships what is buffered (waiting at most `timeoutMs`), then disconnects. */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.buffer.length > 0 && this.channel) {
      await Promise.race([
        new Promise<void>((resolve) => {
          this.idle.push(resolve);
          this.flush();
        }),
        new Promise((resolve) => setTimeout(resolve, timeoutMs).unref()),
      ]);
    }
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const connection = this.connection;
    this.connection = undefined;
    this.channel = undefined;
    await connection?.close().catch(() => undefined);
  }
}
