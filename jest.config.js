/** One jest run for the whole suite: unit specs next to the code, e2e specs per app and across apps. */
const { compilerOptions } = require('./tsconfig.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, `<rootDir>/${target}`]),
);

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': ['@swc/jest'] },
  // ESM-only dependencies that Node 20 loads with require(esm) but Jest's module system cannot.
  transformIgnorePatterns: ['/node_modules/(?!(content-disposition|jose)/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  testMatch: ['<rootDir>/{apps,libs,test}/**/*.{spec,e2e-spec}.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 60_000,
  globalSetup: '<rootDir>/test/jest/global-setup.js',
  setupFiles: ['<rootDir>/test/jest/setup-env.js'],
  testSequencer: '<rootDir>/test/jest/sequencer.js',
  // Tests share one broker and stop it on purpose in the reliability suite: run files one by one.
  maxWorkers: 1,
};
