/**
 * Whether Node's own copy of undici (`internal/deps/undici/undici`) has been loaded in this process.
 * On Node 22 an ESM import of `node:http` loads it (nodejs/node#57649); the Lambda bundles avoid
 * that (infra/bundling-shims/node-http.cjs). One place for the module-list name, so the control
 * test in test/infra/bundles.test.ts proves the check the harness uses.
 */
export function nodeBundledUndiciLoaded() {
  return process.moduleLoadList.includes('NativeModule internal/deps/undici/undici');
}
