import { IsInt, Max, Min } from 'class-validator';
import { DatabaseEnv, NumberFromEnv } from '@statex/config';

export class AiOrchestratorEnv extends DatabaseEnv {
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(65535)
  AI_ORCHESTRATOR_PORT: number = 8003;

  /** Tries of each step before it fails its workflow. */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(20)
  AI_STEP_ATTEMPTS: number = 3;

  /** First retry delay of a step (doubles each time). */
  @NumberFromEnv()
  @IsInt()
  @Min(10)
  AI_STEP_BACKOFF_MS: number = 1000;

  /** A workflow still running this long after its first step started fails with a reason (a stuck step…), never hangs. */
  @NumberFromEnv()
  @IsInt()
  @Min(1000)
  AI_WORKFLOW_TIMEOUT_MS: number = 300_000;

  /**
   * A workflow none of whose steps a worker has started after this long fails (no ai-worker
   * running?). Waiting in a busy queue does not count against AI_WORKFLOW_TIMEOUT_MS, so a burst
   * of leads is analysed late rather than not at all.
   */
  @NumberFromEnv()
  @IsInt()
  @Min(1000)
  AI_WORKFLOW_QUEUE_TIMEOUT_MS: number = 3_600_000;

  /**
   * How many analysis workflows run at once, on every replica together. A lead arriving over the
   * limit waits in the durable queue (its status stays `received`) and starts when one ends, so a
   * burst the workers cannot keep up with does not spread their backlog over every service, and
   * every running workflow is read from the queue at each AI_ORCHESTRATOR_POLL_MS. 2 keeps one
   * worker busy (it runs AI_WORKER_CONCURRENCY steps at once; a workflow offers three steps in
   * parallel, then one; a workflow ends as soon as its last step does, so two slots analyse tens
   * of leads a second) and leaves a machine shared with intake and notification its headroom:
   * the analysis's database, broker and Redis work runs at normal priority even where the
   * analysis itself is niced (docs/benchmarks.md). Raise it with the workers, and where the
   * workers scale on the waiting jobs (KEDA in deploy/k8s) high enough that the wait list can
   * reach their threshold.
   */
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  AI_MAX_RUNNING_WORKFLOWS: number = 2;

  /** How often step states are read from the queue into PostgreSQL (a workflow whose last step ended is read at once: StepEvents). */
  @NumberFromEnv()
  @IsInt()
  @Min(50)
  AI_ORCHESTRATOR_POLL_MS: number = 500;
}
