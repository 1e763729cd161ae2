export * from './redis.token';
export * from './redis.module';
export * from './rate-limits';
export * from './namespace';
