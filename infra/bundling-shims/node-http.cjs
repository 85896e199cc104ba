/*
 * `node:http` for the Lambda bundles, without Node 22's ESM start-up penalty.
 *
 * An ESM `import ... from 'node:http'` makes Node build the module's ESM facade, which reads every
 * export, including the lazy `WebSocket`, `CloseEvent` and `MessageEvent` getters added in Node 22.
 * That loads Node's internal copy of undici on every cold start (nodejs/node#57649): about 40 ms of
 * CPU for the import alone in an empty process, 16–25 ms in our bundles (docs/aws.md). The AWS SDK
 * imports `node:http`; our bundles never use those three classes.
 *
 * esbuild aliases `http` and `node:http` to this CommonJS file (infra/bundling.ts), and esbuild's
 * CommonJS interop reads `request`, `Agent`, ... from the real module where they are used.
 * `process.getBuiltinModule` (Node >= 22.3) returns the same module object `require` would, and is
 * not itself aliased.
 */
module.exports = process.getBuiltinModule('node:http');
