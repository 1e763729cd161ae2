// jose 6 publishes its types under package.json "exports" only, which this workspace's
// `moduleResolution: node` does not read; point the bare specifier at them.
declare module 'jose' {
  export * from 'jose/dist/types/index';
}
