import { IsInt, Max, Min } from 'class-validator';
import { BaseEnv } from '@statex/config';

export class UserPortalEnv extends BaseEnv {
  @IsInt()
  @Min(1)
  @Max(65535)
  USER_PORTAL_PORT = 8006;
}
