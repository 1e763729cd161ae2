import { IsInt, Max, Min } from 'class-validator';
import { BaseEnv } from '@statex/config';

export class LoggingEnv extends BaseEnv {
  @IsInt()
  @Min(1)
  @Max(65535)
  LOGGING_PORT = 8007;
}
