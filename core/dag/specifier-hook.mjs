// Module resolution hook: lets a DAG file anywhere on disk `import ... from 'updraft'`
// and get this installation's authoring API (the same module instance the engine uses).
// Plain JavaScript because loader hooks run before any TypeScript support is set up.
let entryUrl;

export async function initialize(data) {
  entryUrl = data.entryUrl;
}

export async function resolve(specifier, context, nextResolve) {
  // Delegate with the absolute URL so the TypeScript loader still handles the .ts entry.
  if (specifier === 'updraft') return nextResolve(entryUrl, context);
  return nextResolve(specifier, context);
}
