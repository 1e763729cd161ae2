/**
 * One fixed order for the whole suite, whatever Jest's cache holds (CI runs on a machine whose
 * cache reflects earlier runs): unit specs, then each library's and app's end-to-end tests, then
 * the tests across apps, and the fault suite last, since it stops and starts the real PostgreSQL,
 * RabbitMQ and Redis that everything else shares.
 */
const Sequencer = require('@jest/test-sequencer').default;
const { relative } = require('node:path');

const GROUPS = [
  (p) => !p.endsWith('.e2e-spec.ts'),
  (p) => p.startsWith('libs/'),
  (p) => p.startsWith('apps/'),
  (p) => p.startsWith('test/') && !p.startsWith('test/faults/'),
  () => true,
];

class FixedOrder extends Sequencer {
  sort(tests) {
    const key = (test) => {
      const path = relative(test.context.config.rootDir, test.path).split('\\').join('/');
      return { group: GROUPS.findIndex((inGroup) => inGroup(path)), path };
    };
    return [...tests]
      .map((test) => ({ test, ...key(test) }))
      .sort((a, b) => a.group - b.group || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      .map(({ test }) => test);
  }
}

module.exports = FixedOrder;
