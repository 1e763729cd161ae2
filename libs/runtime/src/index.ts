export * from './validation';
export * from './exception.filters';
export * from './service.module';
export * from './bootstrap';
