import { IsInt, Max, Min } from 'class-validator';
import { BaseEnv, NumberFromEnv } from '@statex/config';

export class UserPortalEnv extends BaseEnv {
  @NumberFromEnv()
  @IsInt()
  @Min(1)
  @Max(65535)
  USER_PORTAL_PORT: number = 8006;
}
