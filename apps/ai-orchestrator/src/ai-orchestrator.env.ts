import { IsInt, Max, Min } from 'class-validator';
import { BaseEnv } from '@statex/config';

export class AiOrchestratorEnv extends BaseEnv {
  @IsInt()
  @Min(1)
  @Max(65535)
  AI_ORCHESTRATOR_PORT = 8003;
}
