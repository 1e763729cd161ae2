import { DynamicModule, Module } from '@nestjs/common';

/**
 * Makes a validated environment object injectable by its class, e.g.
 * `constructor(private readonly env: SubmissionEnv)`.
 */
@Module({})
export class EnvModule {
  static forRoot<T extends object>(env: T): DynamicModule {
    // Register the object under its class and every ancestor class, so a library
    // can inject BaseEnv or DatabaseEnv while the app injects its own subclass.
    const tokens: Function[] = [];
    for (let proto = Object.getPrototypeOf(env); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      tokens.push(proto.constructor as Function);
    }
    return {
      module: EnvModule,
      global: true,
      providers: tokens.map((token) => ({ provide: token, useValue: env })),
      exports: tokens,
    };
  }
}
