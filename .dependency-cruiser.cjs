// Import directions from DESIGN.md, checked in the test command:
//   operators -> core; scheduler, worker, web, dag-processor -> core, operators;
//   nothing imports scheduler, worker, web or dag-processor except bin; no cycles.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // Runtime cycles break ESM initialization order; type-only references (a DAG knows
    // its operators' type and vice versa) compile away and are allowed.
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } } },
    {
      name: 'core-imports-no-component', severity: 'error',
      comment: 'core is the shared domain model; it must not depend on any component',
      from: { path: '^core/' },
      to: { path: '^(scheduler|worker|web|operators|dag-processor|bin)/' },
    },
    {
      name: 'operators-import-only-core', severity: 'error',
      from: { path: '^operators/' },
      to: { path: '^(scheduler|worker|web|dag-processor|bin)/' },
    },
    // Only bin wires components together: a component is imported by itself and bin.
    ...['scheduler', 'worker', 'web', 'dag-processor'].map((component) => ({
      name: `only-bin-imports-${component}`, severity: 'error',
      from: { pathNot: `^(bin|test|bench|${component})/` },
      to: { path: `^${component}/` },
    })),
    {
      name: 'dags-use-the-authoring-api', severity: 'error',
      comment: 'DAG files import only the authoring API (index.ts, core, operators)',
      from: { path: '^dags/' },
      to: { path: '^(scheduler|worker|web|dag-processor|bin)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: 'node_modules' },
  },
};
