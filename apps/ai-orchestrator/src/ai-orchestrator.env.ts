import { IsInt, Max, Min } from 'class-validator';
import { BaseEnv, NumberFromEnv } from '@statex/config';

export class AiOrchestratorEnv extends BaseEnv {
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(65535)
  AI_ORCHESTRATOR_PORT: number = 8003;
}
