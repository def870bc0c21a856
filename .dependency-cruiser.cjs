/**
 * The floor plan of src/ (ARCHITECTURE.md "Code layout and style"), checked by `npm run lint:layers` in `npm test`.
 * Layers, bottom to top, each importing only from below (types count: tsPreCompilationDeps):
 *   platform  core < db < audit < http < ops
 *   engines   claims < config < saml, tokens, clients   (an engine imports platform, claims/ and config/, never another engine)
 *   features  grants, exchange, oauth, sso, launch, upstream, admin   (siblings meet only through ports that
 *             compose/ hands in, never by importing each other)
 *   top       compose < demo < cli < main.ts
 * Tests (`*.test.ts`) sit beside the code and may reach anything; they are not cruised.
 */
const PLATFORM = ['core', 'db', 'audit', 'http', 'ops'];
const ENGINES = ['claims', 'config', 'saml', 'tokens', 'clients'];
const FEATURES = ['grants', 'exchange', 'oauth', 'sso', 'launch', 'upstream', 'admin'];
const TOP = ['compose', 'demo', 'cli'];

const folders = (names) => `^src/(${names.join('|')})/`;
const above = (order, i) => order.slice(i + 1);

/** Each platform folder imports only platform folders below it. */
const platformRules = PLATFORM.map((name, i) => ({
  name: `platform-${name}-upward`,
  comment: `${name}/ is platform: it may import only ${PLATFORM.slice(0, i).join(', ') || 'nothing of src/'}`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: `^src/(?:${[...above(PLATFORM, i), ...ENGINES, ...FEATURES, ...TOP].join('|')})/|^src/main\\.ts$` },
}));

module.exports = {
  forbidden: [
    ...platformRules,
    {
      name: 'engine-upward',
      comment: 'an engine imports platform, claims/ and config/ only: no feature, no top layer',
      severity: 'error',
      from: { path: folders(ENGINES) },
      to: { path: `${folders([...FEATURES, ...TOP])}|^src/main\\.ts$` },
    },
    {
      name: 'engine-sibling',
      comment: 'saml/, tokens/ and clients/ never import each other (each may import config/)',
      severity: 'error',
      from: { path: '^src/(saml|tokens|clients)/' },
      to: { path: '^src/(saml|tokens|clients)/', pathNot: '^src/$1/' },
    },
    {
      name: 'claims-engine',
      comment: 'claims/ (the CEL evaluator of claim rules) is the lowest engine: it imports platform only',
      severity: 'error',
      from: { path: '^src/claims/' },
      to: { path: '^src/(config|saml|tokens|clients)/' },
    },
    {
      name: 'config-engine',
      comment: 'config/ imports platform and claims/ only (it compiles the claim rules it loads)',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/(saml|tokens|clients)/' },
    },
    {
      name: 'feature-upward',
      comment: 'a feature never imports the composition root, the demo or the CLI',
      severity: 'error',
      from: { path: folders(FEATURES) },
      to: { path: `${folders(TOP)}|^src/main\\.ts$` },
    },
    {
      name: 'feature-sibling',
      comment: 'features meet only through a port declared by the one that needs it and handed in by compose/',
      severity: 'error',
      from: { path: folders(FEATURES) },
      to: { path: folders(FEATURES), pathNot: '^src/$1/' },
    },
    {
      name: 'top-order',
      comment: 'compose/ builds the service; demo/ composes a demo on it; cli/ runs both; main.ts runs the CLI',
      severity: 'error',
      from: { path: '^src/compose/' },
      to: { path: '^src/(demo|cli)/|^src/main\\.ts$' },
    },
    {
      name: 'demo-order',
      severity: 'error',
      from: { path: '^src/demo/' },
      to: { path: '^src/cli/|^src/main\\.ts$' },
    },
    {
      name: 'no-module-cycle',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycle',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unknown-folder',
      comment: 'every file of src/ sits in a folder of a layer (add a new folder to its layer above)',
      severity: 'error',
      from: { path: '^src/', pathNot: `${folders([...PLATFORM, ...ENGINES, ...FEATURES, ...TOP])}|^src/main\\.ts$|\\.test\\.ts$` },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
