import { IsInt, Max, Min } from 'class-validator';
import { BaseEnv } from '@statex/config';

export class ContentEnv extends BaseEnv {
  @IsInt()
  @Min(1)
  @Max(65535)
  CONTENT_PORT = 8009;
}
