import { DynamicModule, Module, ModuleMetadata, Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { BaseEnv } from '@statex/config';
import { AuthGuard } from './auth.guard';
import { KEY_RESOLVER, remoteKeyResolver, TokenVerifier } from './token.verifier';

export interface AuthModuleOptions {
  /** Where the keys come from; by default user-portal's JWKS over HTTP. user-portal gives its own store. */
  keys?: Provider;
  /** Modules the `keys` provider needs. */
  imports?: ModuleMetadata['imports'];
}

/** The global deny-by-default guard and the token verifier, for every StateX service. */
@Module({})
export class AuthModule {
  static forRoot(options: AuthModuleOptions = {}): DynamicModule {
    const keys: Provider = options.keys ?? { provide: KEY_RESOLVER, inject: [BaseEnv], useFactory: remoteKeyResolver };
    return {
      module: AuthModule,
      global: true,
      imports: options.imports ?? [],
      providers: [keys, TokenVerifier, { provide: APP_GUARD, useClass: AuthGuard }],
      exports: [TokenVerifier],
    };
  }
}
