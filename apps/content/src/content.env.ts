import { IsInt, Max, Min } from 'class-validator';
import { BaseEnv, NumberFromEnv } from '@statex/config';

export class ContentEnv extends BaseEnv {
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(65535)
  CONTENT_PORT: number = 8009;
}
