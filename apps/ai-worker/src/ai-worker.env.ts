import { IsInt, Max, Min } from 'class-validator';
import { BaseEnv, NumberFromEnv } from '@statex/config';

export class AiWorkerEnv extends BaseEnv {
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(65535)
  AI_WORKER_PORT: number = 8004;
}
