import { Injectable, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { KEY_RESOLVER } from '@statex/auth';
import { ServiceDefinition, ServiceInfrastructureModule } from '@statex/runtime';
import { AccountMail } from './accounts/account-mail';
import { AccountRepository } from './accounts/account.repository';
import { AfterAnswer } from './accounts/after-answer';
import { AuthThrottle } from './auth/auth-throttle';
import { AuthController } from './auth/auth.controller';
import { SessionService } from './auth/session.service';
import { TokenIssuer } from './auth/token-issuer';
import { SigningKeys } from './keys/signing-keys.service';
import { registerAccountPages } from './pages/account-pages';
import { PasswordHasher } from './passwords/password-hasher';
import { AccountService } from './users/account.service';
import { UsersController } from './users/users.controller';
import { UserPortalEnv } from './user-portal.env';
import { USER_PORTAL_SCHEMA } from './user-portal.schema';

@Injectable()
class FirstAdmin implements OnApplicationBootstrap {
  private readonly logger = new Logger('FirstAdmin');
  constructor(
    private readonly accounts: AccountService,
    private readonly env: UserPortalEnv,
  ) {}
  async onApplicationBootstrap(): Promise<void> {
    const outcome = await this.accounts.ensureAdmin();
    this.logger.log(`Admin ${this.env.ADMIN_EMAIL}: ${outcome === 'created' ? 'created from ADMIN_EMAIL/ADMIN_PASSWORD' : 'already exists'}`);
  }
}

/** The key store, for user-portal's own guard and for signing: one module both can import. */
@Module({ providers: [SigningKeys], exports: [SigningKeys] })
class SigningKeysModule {}

export const userPortalService: ServiceDefinition<UserPortalEnv> = {
  name: 'user-portal',
  description:
    'Accounts and authentication: registration with email verification, sign-in with short-lived access tokens (EdDSA JWTs) and rotating refresh tokens, sessions, password reset, administration, and the JWKS every StateX service verifies tokens with (/.well-known/jwks.json).',
  env: UserPortalEnv,
  port: (env) => env.USER_PORTAL_PORT,
  configure: async (app) => {
    const fastify = app.getHttpAdapter().getInstance();
    const keys = app.get(SigningKeys);
    fastify.get('/.well-known/jwks.json', async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send(await keys.jwks()));
    registerAccountPages(fastify);
  },
  module: (env) => {
    @Module({
      imports: [
        ServiceInfrastructureModule.forRoot({
          service: 'user-portal',
          env,
          database: USER_PORTAL_SCHEMA,
          redis: true,
          auth: { imports: [SigningKeysModule], keys: { provide: KEY_RESOLVER, inject: [SigningKeys], useFactory: (keys: SigningKeys) => keys.resolver } },
        }),
        SigningKeysModule,
      ],
      controllers: [AuthController, UsersController],
      providers: [AccountRepository, AccountMail, AfterAnswer, AuthThrottle, PasswordHasher, TokenIssuer, SessionService, AccountService, FirstAdmin],
    })
    class UserPortalModule {}
    return UserPortalModule;
  },
};
