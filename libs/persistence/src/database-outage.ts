import { Injectable, Logger } from '@nestjs/common';
import { DatabaseReadinessCheck } from './database.readiness';

/**
 * Tells a failure of the work from an outage of the database under it. Background work (a BullMQ
 * job, a sweeper) that fails while PostgreSQL does not answer has not failed: it waits for the
 * database and runs again, and spends none of its attempts on the outage.
 */
@Injectable()
export class DatabaseOutage {
  private readonly logger = new Logger(DatabaseOutage.name);

  constructor(private readonly readiness: DatabaseReadinessCheck) {}

  /** True while the service's database does not answer a ping. */
  async isDown(): Promise<boolean> {
    try {
      const result = await this.readiness.isHealthy();
      return result[this.readiness.name]?.status !== 'up';
    } catch {
      return true;
    }
  }

  /**
   * Runs `work`; when it throws while the database is down, waits until the database answers
   * again and runs it again (so `work` must be safe to repeat: a transaction that did not commit).
   * An error while the database is up is the work's own, and is thrown.
   */
  async retryThroughOutage<T>(what: string, work: () => Promise<T>, pollMs = 1000): Promise<T> {
    for (;;) {
      try {
        return await work();
      } catch (error) {
        if (!(await this.isDown())) throw error;
        this.logger.warn(`${what}: the database does not answer (${(error as Error).message}); waiting for it`);
        while (await this.isDown()) await new Promise((r) => setTimeout(r, pollMs));
      }
    }
  }
}
