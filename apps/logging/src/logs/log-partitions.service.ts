import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { LoggingEnv } from '../logging.env';
import { dayOf, LogLinesRepository } from './log-lines.repository';

const DAY_MS = 86_400_000;

/** Creates daily partitions ahead and drops those past LOG_RETENTION_DAYS, at start and on a timer. */
@Injectable()
export class LogPartitions implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('LogPartitions');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly lines: LogLinesRepository,
    private readonly env: LoggingEnv,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.maintain();
    this.timer = setInterval(() => {
      this.maintain().catch((error: Error) => this.logger.warn(`Partition maintenance failed: ${error.message}`));
    }, this.env.LOG_MAINTENANCE_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Returns the days dropped. */
  async maintain(now = new Date()): Promise<string[]> {
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    for (let d = 0; d <= this.env.LOG_PARTITIONS_AHEAD_DAYS; d++) await this.lines.ensurePartition(dayOf(new Date(today + d * DAY_MS)));
    const cutoff = dayOf(new Date(today - this.env.LOG_RETENTION_DAYS * DAY_MS));
    const expired = (await this.lines.partitions()).filter((day) => day < cutoff);
    for (const day of expired) await this.lines.dropPartition(day);
    if (expired.length) this.logger.log({ dropped: expired }, `Dropped ${expired.length} log partition(s) older than ${this.env.LOG_RETENTION_DAYS} days`);
    return expired;
  }
}
