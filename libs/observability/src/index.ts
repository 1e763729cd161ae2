export * from './logging';
export * from './metrics';
export * from './health.module';
export * from './swagger';
export * from './log-shipping/log-shipper';
export * from './log-shipping/log-shipping.config';
export { LogShippingShutdown } from './log-shipping/log-shipping.stream';
export * from './spans';
