import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';

/**
 * Work done after the answer is on its way: what an endpoint does only for a known address
 * (issue a link, write its email) must not make that answer slower than for an unknown one, or
 * the time tells whether the address has an account. The work keeps its request's log context;
 * a failure is logged (the person asks again); shutdown waits for what is still running.
 */
@Injectable()
export class AfterAnswer implements BeforeApplicationShutdown {
  private readonly logger = new Logger(AfterAnswer.name);
  private readonly running = new Set<Promise<void>>();

  run(what: string, work: () => Promise<void>): void {
    const done: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .catch((error: Error) => this.logger.error({ err: error }, `${what} failed after the answer: ${error.message}`))
      .finally(() => this.running.delete(done));
    this.running.add(done);
  }

  /** Resolves when nothing started so far is still running (for shutdown, and for tests). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.settled();
  }
}
