export * from './file-type';
export * from './form-text';
export * from './multipart-form';
export * from './zip-directory';
