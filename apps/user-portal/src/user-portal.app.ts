import { Module } from '@nestjs/common';
import { ServiceDefinition, ServiceInfrastructureModule } from '@statex/runtime';
import { UserPortalEnv } from './user-portal.env';

export const userPortalService: ServiceDefinition<UserPortalEnv> = {
  name: 'user-portal',
  description: 'Accounts, authentication and JWKS for the other services. Accounts arrive in their own issue; this service boots with its health, metrics and docs endpoints.',
  env: UserPortalEnv,
  port: (env) => env.USER_PORTAL_PORT,
  module: (env) => {
    @Module({ imports: [ServiceInfrastructureModule.forRoot({ service: 'user-portal', env })] })
    class UserPortalModule {}
    return UserPortalModule;
  },
};
