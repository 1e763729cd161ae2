import { IsInt, Max, Min } from 'class-validator';
import { BaseEnv, NumberFromEnv } from '@statex/config';

export class LoggingEnv extends BaseEnv {
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(65535)
  LOGGING_PORT: number = 8007;
}
