/**
 * The dependency rules of architecture.md, checked in CI (npm run depcheck).
 * Business modules: billing, transit, campus. Foundation: ledger, identity,
 * paycode. Shared: payments. Bottom: common (imports nothing of ours).
 */
const BUSINESS = ['billing', 'transit', 'campus'];
const lib = (name) => `^libs/${name}/`;

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles anywhere.',
      from: {},
      to: { circular: true },
    },
    ...BUSINESS.map((name) => ({
      name: `business-isolated-${name}`,
      severity: 'error',
      comment: 'Business modules never import each other; they meet in ledger, payments and identity.',
      from: { path: `^libs/(${BUSINESS.filter((b) => b !== name).join('|')})/` },
      to: { path: lib(name) },
    })),
    {
      name: 'foundation-not-upward',
      severity: 'error',
      comment: 'ledger, identity, paycode and paycode-keys never import payments or a business module.',
      from: { path: '^libs/(ledger|identity|paycode|paycode-keys)/' },
      to: { path: `^libs/(payments|provider-sandbox|platform|${BUSINESS.join('|')})/` },
    },
    {
      name: 'payments-not-business',
      severity: 'error',
      comment: 'payments registers completion handlers; it never imports a business module.',
      from: { path: '^libs/(payments|provider-sandbox)/' },
      to: { path: `^libs/(platform|${BUSINESS.join('|')})/` },
    },
    {
      name: 'common-imports-nothing-of-ours',
      severity: 'error',
      comment: 'libs/common imports nothing of ours.',
      from: { path: '^libs/common/' },
      to: { path: '^(libs/(?!common/)|apps/|config/)' },
    },
    {
      name: 'paycode-imports-nothing-of-ours',
      severity: 'error',
      comment: 'libs/paycode is pure (readers, phones and POS use it): nothing of ours, no Nest, no TypeORM, no database.',
      from: { path: '^libs/paycode/' },
      to: { path: '^(libs/(?!paycode/)|apps/|config/)|node_modules/(@nestjs|typeorm|pg)/' },
    },
    {
      name: 'config-imports-nothing-of-ours',
      severity: 'error',
      from: { path: '^config/' },
      to: { path: '^(libs|apps)/' },
    },
    {
      name: 'libs-not-apps',
      severity: 'error',
      comment: 'Libs never import an app.',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'apps-not-each-other',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'only-platform-composes-everything',
      severity: 'error',
      comment: 'Only libs/platform (and apps) may import the business modules together.',
      from: { path: '^libs/', pathNot: '^libs/(platform|billing|transit|campus)/' },
      to: { path: `^libs/(${BUSINESS.join('|')})/` },
    },
    {
      name: 'lib-public-surface-only',
      severity: 'error',
      comment: 'Import another lib only through its index.ts (@app/<lib>), never a deep path.',
      from: { path: '^(apps|libs)/([^/]+)/' },
      to: { path: '^libs/([^/]+)/src/(?!index\\.ts$)', pathNot: '^libs/$2/' },
    },
    {
      name: 'not-to-test',
      severity: 'error',
      from: { path: '^(apps|libs|config)/' },
      to: { path: '^test/' },
    },
    {
      name: 'not-to-dev-deps',
      severity: 'error',
      comment: 'Production code never imports a devDependency.',
      from: { path: '^(apps|libs|config)/', pathNot: '\\.spec\\.ts$' },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^dist/|\\.spec\\.ts$|\\.e2e-spec\\.ts$)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
