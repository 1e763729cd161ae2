export * from './logging';
export * from './metrics';
export * from './health.module';
export * from './swagger';
