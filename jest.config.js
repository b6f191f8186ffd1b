/** Jest in ESM mode (Nest 12 packages are ES modules), TypeScript through @swc/jest. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

// ES-module-only packages that CommonJS packages require (Jest on Node 20 cannot
// require(esm)): compiled by swc for Jest only. @fastify/static -> content-disposition.
const esmRequiredByCjs = ['content-disposition'];
const swcJs = ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' } }];

const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': swc,
    [`/node_modules/(${esmRequiredByCjs.join('|')})/.+\\.js$`]: swcJs,
    // see the transform: pg-boss's late require after a suite's teardown
    '/node_modules/pg-boss/src/tools\\.js$': '<rootDir>/test/support/pg-boss-timers-transform.cjs',
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmRequiredByCjs.join('|')}|pg-boss/src/tools\\.js$))`],
  moduleNameMapper: {
    '^@app/config$': '<rootDir>/config/index.ts',
    '^@app/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

export default {
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,config}/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/setup-e2e.ts'],
    },
  ],
};
