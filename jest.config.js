/** Shared by both projects: TypeScript through ts-jest, Node environment. */
const common = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
  },
};

/** @type {import('jest').Config} */
module.exports = {
  // One PostgreSQL server for the whole run (each test file makes its own database on it).
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  testTimeout: 120_000,
  maxWorkers: 2,
  // Temporal's native worker keeps handles open briefly after shutdown.
  forceExit: true,
  projects: [
    {
      ...common,
      displayName: 'unit',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/browser/'],
    },
    {
      ...common,
      // Chromium against one `durafax start` stack that all browser test files share; its
      // setup runs only when a browser test is selected.
      displayName: 'browser',
      roots: ['<rootDir>/test/browser'],
      testMatch: ['**/*.test.ts'],
      globalSetup: '<rootDir>/test/browser/global-setup.ts',
      globalTeardown: '<rootDir>/test/browser/global-teardown.ts',
    },
  ],
};
