/**
 * The real handlers, bundled exactly as the stack bundles them, start in a fresh Node 22 process
 * with the environment the stack sets: an ESM bundle that cannot `require` a Node built-in, a
 * missing export or a module-scope crash would fail every cold start in AWS.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { bundle, coldFigures, coldRatios, lambdaEnvironment, type Bundle } from '../../bench/bundles.bench.js';
import { ESBUILD_OPTIONS } from '../../infra/bundling.js';
import { loadDeployConfig } from '../../infra/deploy-config.js';
import { PROJECT_ROOT } from '../../infra/reporting-stack.js';
import { lambdaNodeBinary } from '../deployed-artifact/run-bundle.js';
import { DEPLOY_CONFIG, removeTempDirs, tempDir } from './helpers.js';

const NODE_INTERNALS_URL = pathToFileURL(join(PROJECT_ROOT, 'test', 'deployed-artifact', 'node-internals.mjs')).href;
const FUNCTIONS = ['receiver', 'check-worker', 'live-health-worker', 'export-worker', 'microservice-worker', 'scheduler'] as const;
const bundles = new Map<string, Bundle>();

/** Runs `body` (an async function of the imported module `m`) in a fresh node with the Lambda environment. */
function inFreshNode(b: Bundle, body: string): { status: number | null; stdout: string; stderr: string } {
  const script = `const m = await import(${JSON.stringify(pathToFileURL(join(b.dir, 'index.mjs')).href)});\n${body}`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: b.dir,
    env: lambdaEnvironment(join(b.dir, 'reporting-config.json')),
    encoding: 'utf8',
    timeout: 60_000,
  });
}

beforeAll(async () => {
  const config = await loadDeployConfig(DEPLOY_CONFIG);
  const out = tempDir('kreports-real-bundles-');
  for (const name of FUNCTIONS) bundles.set(name, await bundle(name, join(PROJECT_ROOT, 'functions', name, 'index.ts'), out, JSON.stringify(config)));
}, 120_000);
afterAll(() => removeTempDirs());

describe('real Lambda bundles', () => {
  it.each(FUNCTIONS)('%s loads as an ESM bundle and exports handler(), without loading Node\'s own undici', (name) => {
    const result = inFreshNode(bundles.get(name)!, `const { nodeBundledUndiciLoaded } = await import(${JSON.stringify(NODE_INTERNALS_URL)});\nprocess.stdout.write(typeof m.handler + ' ' + nodeBundledUndiciLoaded());`);
    expect(result.stderr).not.toMatch(/Dynamic require|ERR_|Error/);
    // Init only: the shim (infra/bundling-shims/node-http.cjs) keeps Node's undici out of the cold start.
    expect(result.stdout).toBe('function false');
    expect(result.status).toBe(0);
  });

  it('the scheduler reads the bundled configuration and the stack environment on its first run', () => {
    // An unknown schedule fails after the configuration was read, before anything is sent anywhere.
    const result = inFreshNode(
      bundles.get('scheduler')!,
      "try { await m.handler({ schedule: 'no-such-schedule' }); process.stdout.write('resolved'); } catch (e) { process.stdout.write(String(e.message)); }",
    );
    expect(result.stdout).toContain('No schedule named "no-such-schedule"');
    expect(result.stdout).toContain('weekly-exports, monthly-first, office-hours');
  });
});

describe('node:http in the bundles (infra/bundling-shims/node-http.cjs)', () => {
  const entry = join(PROJECT_ROOT, 'test', 'infra', 'fixtures', 'bundling', 'node-http-imports.ts');
  const runBundled = async (options: { alias: boolean }) => {
    const outfile = join(tempDir('kreports-http-shim-'), 'index.mjs');
    await build({
      ...ESBUILD_OPTIONS,
      mainFields: [...ESBUILD_OPTIONS.mainFields],
      external: [...ESBUILD_OPTIONS.external],
      banner: { ...ESBUILD_OPTIONS.banner },
      alias: options.alias ? { ...ESBUILD_OPTIONS.alias } : {},
      entryPoints: [entry],
      outfile,
      logLevel: 'silent',
    });
    const result = spawnSync(lambdaNodeBinary(), [outfile], { encoding: 'utf8', timeout: 30_000 });
    expect(result.stderr).toBe('');
    return JSON.parse(result.stdout) as Record<string, boolean>;
  };

  it('gives every import form the real built-in, without loading Node\'s own undici', async () => {
    // Act
    const report = await runBundled({ alias: true });
    // Assess
    expect(report).toEqual({ defaultImport: true, named: true, namespace: true, dynamic: true, required: true, usable: true, nodeBundledUndiciLoaded: false });
  });

  it('is needed: the same code bundled without the alias loads Node\'s undici (nodejs/node#57649)', async () => {
    // Act
    const report = await runBundled({ alias: false });
    // Assess: if a Node 22 release stops doing this, the shim can go (and this test says so).
    expect(report).toMatchObject({ defaultImport: true, named: true, usable: true, nodeBundledUndiciLoaded: true });
  });
});

describe('cold-request figures of the bundle bench', () => {
  it('takes the median of per-process init + first-call sums, not the sum of the medians', () => {
    // Prepare: the slowest init comes with the fastest first call in the same process.
    const samples = [
      { initCpuMs: 10, firstCpuMs: 50, initWallMs: 12, firstWallMs: 60 },
      { initCpuMs: 30, firstCpuMs: 10, initWallMs: 35, firstWallMs: 11 },
      { initCpuMs: 20, firstCpuMs: 15, initWallMs: 22, firstWallMs: 16 },
    ];
    // Act
    const f = coldFigures(samples);
    // Assess
    // Totals per process: 60, 40, 35 -> 40; the medians alone would add up to 20 + 15 = 35.
    expect(f).toEqual({ initCpuMs: 20, firstCpuMs: 15, totalCpuMs: 40, totalWallMs: 46 });
  });

  it('gives init, first-call and init + first ratios against the baseline', () => {
    // Act
    const r = coldRatios({ initCpuMs: 50, firstCpuMs: 75, totalCpuMs: 125, totalWallMs: 0 }, { initCpuMs: 100, firstCpuMs: 25, totalCpuMs: 125, totalWallMs: 0 });
    // Assess
    expect(r).toEqual({ init: 0.5, first: 3, total: 1 });
  });
});

