import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ContentEnv } from '../content.env';
import { EditorialService } from '../entries/editorial.service';

/**
 * Publishes scheduled entries when they come due. The schedule lives in the database
 * (`content_entries.publish_at`), so it survives restarts: the first look is at start, then
 * every CONTENT_SCHEDULE_POLL_MS; replicas share the work (SKIP LOCKED).
 */
@Injectable()
export class SchedulePoller implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SchedulePoller.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly editorial: EditorialService,
    private readonly env: ContentEnv,
  ) {}

  onApplicationBootstrap(): void {
    this.tick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.stopped) return;
    this.running = this.publishDue().finally(() => {
      if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.env.CONTENT_SCHEDULE_POLL_MS);
    });
  }

  private async publishDue(): Promise<void> {
    try {
      // A backlog (after downtime) is worked off in batches without waiting for the next tick.
      while (!this.stopped && (await this.editorial.publishDue()) > 0);
    } catch (error) {
      this.logger.warn(`Could not publish scheduled entries (next look in ${this.env.CONTENT_SCHEDULE_POLL_MS} ms): ${(error as Error).message}`);
    }
  }
}
