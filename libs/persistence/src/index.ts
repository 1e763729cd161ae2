export * from './ensure-database';
export * from './data-source-options';
export * from './persistence.module';
export * from './database-outage';
export * from './database.readiness';
export * from './prepared-statement';
export * from './query-result';
