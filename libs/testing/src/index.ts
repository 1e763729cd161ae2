export * from './wait-for';
export * from './smtp-stand-in';
export * from './test-env';
export * from './broker-probe';
export * from './databases';
export * from './service-process';
export * from './fixtures';
export * from './in-process-service';
