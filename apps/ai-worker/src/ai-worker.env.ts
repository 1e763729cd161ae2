import { IsInt, Max, Min } from 'class-validator';
import { BaseEnv } from '@statex/config';

export class AiWorkerEnv extends BaseEnv {
  @IsInt()
  @Min(1)
  @Max(65535)
  AI_WORKER_PORT = 8004;
}
