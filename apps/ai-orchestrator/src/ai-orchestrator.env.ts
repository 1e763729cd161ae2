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

  /** A workflow still running after this long fails with a reason (no worker, a stuck step…), never hangs. */
  @NumberFromEnv()
  @IsInt()
  @Min(1000)
  AI_WORKFLOW_TIMEOUT_MS: number = 300_000;

  /** How often step states are read from the queue into PostgreSQL. */
  @NumberFromEnv()
  @IsInt()
  @Min(50)
  AI_ORCHESTRATOR_POLL_MS: number = 500;
}
