export * from './auth-user';
export * from './auth.decorators';
export * from './bearer-token';
export * from './token.verifier';
export * from './auth.guard';
export * from './auth.module';
export * from './protected-paths';
export * from './browser-login';
