import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { AiOrchestratorEnv } from '../ai-orchestrator.env';

/**
 * The longest a `request.created` waits for a free slot before its workflow starts anyway. It waits
 * unacknowledged, and RabbitMQ closes a consumer's channel when a delivery stays unacknowledged
 * past its consumer_timeout (30 minutes by default): well inside that. Slots stay taken that long
 * only when no worker runs at all, and then AI_WORKFLOW_QUEUE_TIMEOUT_MS ends the workflows.
 */
export const ADMISSION_WAIT_LIMIT_MS = 10 * 60_000;

/**
 * How many analysis workflows run at once (AI_MAX_RUNNING_WORKFLOWS). A workflow started is work
 * promised at once in every service: its steps in Redis, `ai.analysis.started` in submission,
 * logging and the broker, a place in every reconciliation. Started at the rate leads arrive while
 * the workers fall behind, that work took the CPU the acknowledgements needed. Over the limit, a
 * new lead's `request.created` waits in its durable queue, the cheapest place to wait (the broker
 * holds the consumer's prefetch back), and its workflow starts when a running one ends.
 *
 * The count is this process's view: what the last reconciliation found running in PostgreSQL
 * (every replica's and every run's), plus the starts committed since that read began, plus the
 * starts admitted and not yet committed. A limit, not an exact semaphore: replicas admitting at
 * the same moment can pass it by a few, and an end is seen late rather than early.
 */
@Injectable()
export class WorkflowAdmission implements BeforeApplicationShutdown {
  /** Running as far as this process knows: the last observation, corrected by what it did since. */
  private running = 0;
  /** Admitted, their start not yet committed (or given up). */
  private admitted = 0;
  /** Every start this process committed: tells an observation which of them it cannot have seen. */
  private committedStarts = 0;
  private waiters = new Set<() => void>();
  private stopping = false;

  constructor(private readonly env: AiOrchestratorEnv) {}

  /**
   * Resolves once fewer than the limit run or are starting, and counts one more starting; also
   * once the service is stopping (a waiting delivery must not hold up the consumer's drain) or
   * after ADMISSION_WAIT_LIMIT_MS. Follow with settled().
   */
  async admit(): Promise<void> {
    const deadline = Date.now() + ADMISSION_WAIT_LIMIT_MS;
    while (!this.stopping && this.count >= this.env.AI_MAX_RUNNING_WORKFLOWS && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, deadline - Date.now());
        this.waiters.add(wake);
      });
    }
    this.admitted += 1;
  }

  /** An admitted start committed its workflow, or did not start one (its lead already had one, or it failed). */
  settled(started: boolean): void {
    this.admitted = Math.max(0, this.admitted - 1);
    if (started) this.started();
    else this.wakeAll();
  }

  /** A workflow started (also an operator's rerun, which does not wait for a slot but takes one). */
  started(): void {
    this.running += 1;
    this.committedStarts += 1;
  }

  /** A workflow ended (completed, failed or cancelled). */
  ended(): void {
    this.running = Math.max(0, this.running - 1);
    this.wakeAll();
  }

  /**
   * Call before reading how many run in PostgreSQL, and pass the figure to what it returns: the
   * starts committed after the read began are added, as the read may have missed them.
   */
  observe(): (runningInDatabase: number) => void {
    const startsBefore = this.committedStarts;
    return (runningInDatabase) => {
      this.running = runningInDatabase + (this.committedStarts - startsBefore);
      this.wakeAll();
    };
  }

  /** Running and starting, as this process knows it. */
  get count(): number {
    return this.running + this.admitted;
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
    this.wakeAll();
  }

  /** Every waiter checks again, in the order they came: the first ones take the free slots. */
  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
