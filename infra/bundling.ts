/**
 * How every Lambda is bundled. One source of truth for the stack (`NodejsFunction` bundling props)
 * and for `bench/bundles.bench.ts` (esbuild API with the same options), so the benchmark measures
 * exactly what is deployed.
 */
import { fileURLToPath } from 'node:url';

/** Node major of the Lambda runtime (`nodejs22.x`) and of the local toolchain (the `node` devDependency). */
export const LAMBDA_NODE_TARGET = 'node22';

/**
 * ESM bundles that contain CommonJS code (the AWS SDK v3, ...) call `require` for Node built-ins;
 * ESM has no `require`, so the bundle starts by making one (FIELD-NOTES: otherwise
 * `Dynamic require of "node:https" is not supported`). The alias keeps `createRequire` from
 * clashing with a bundled module's own top-level name.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __kreportsCreateRequire } from 'node:module'; const require = __kreportsCreateRequire(import.meta.url);";

/**
 * `http` / `node:http` resolve to a CommonJS shim that takes the module from
 * `process.getBuiltinModule`: on Node 22 an ESM import of `node:http` loads Node's own undici, which
 * cost 16–25 ms of CPU at every cold start of our bundles (the shim's comment says why; docs/aws.md).
 * Same module object, same behaviour. The path is absolute, but the bundle output holds no path, so
 * assets hash the same on every machine. It exists only on the host: Docker bundling (CDK's
 * fallback when esbuild is not installed) would fail on it loudly, never bundle without it.
 */
export const NODE_HTTP_SHIM = fileURLToPath(new URL('./bundling-shims/node-http.cjs', import.meta.url));
export const ALIAS: Readonly<Record<string, string>> = { http: NODE_HTTP_SHIM, 'node:http': NODE_HTTP_SHIM };

/** Prefer ESM entry points of dependencies (better tree shaking), fall back to CommonJS. */
export const MAIN_FIELDS = ['module', 'main'];

/** The bundled configuration file name, in the function's root (`/var/task`). */
export const BUNDLED_CONFIG_FILE = 'reporting-config.json';
/** Lambda code root: `REPORTING_CONFIG_PATH` points here. */
export const LAMBDA_TASK_ROOT = '/var/task';

/**
 * The esbuild options `NodejsFunction` turns into CLI flags for our props (see
 * `reportingBundlingProps` in infra/constructs/worker-function.ts). The AWS SDK is bundled, not
 * taken from the runtime: its version is then the one the tests ran with, and tree shaking keeps
 * only the clients a function imports.
 */
export const ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: LAMBDA_NODE_TARGET,
  format: 'esm',
  minify: true,
  sourcemap: false,
  banner: { js: ESM_REQUIRE_BANNER },
  mainFields: MAIN_FIELDS,
  alias: ALIAS,
  external: [] as string[],
} as const;

/** Output file name `NodejsFunction` uses for ESM bundles. */
export const ESM_OUTPUT_FILE = 'index.mjs';
