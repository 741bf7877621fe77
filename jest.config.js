// Unit tests (*.spec.ts, pure logic) and end-to-end tests (test/ ... .e2e-spec.ts).
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.json');

const shared = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    // content-disposition 3 (under @fastify/static, which mercurius loads) and quick-lru (which
    // mercurius loads with import()) are ESM only. Node 20 can load them; jest's CommonJS module
    // loader cannot: compile them, and mercurius' import() of quick-lru, to CommonJS.
    '/node_modules/(content-disposition|quick-lru|mercurius)/.+\\.js$': [
      'ts-jest',
      { diagnostics: false, tsconfig: { allowJs: true } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(content-disposition|quick-lru|mercurius)/)'],
};

module.exports = {
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/support/totals-reporter.js'],
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,migrations}/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
