/**
 * Lambda bundles: size and cold-start module initialisation of each function, bundled with esbuild
 * exactly as the CDK stack bundles it (infra/bundling.ts), against an empty handler bundled the same
 * way, in the same run.
 *
 * Initialisation is measured in a fresh Node process per sample (what a Lambda cold start pays):
 * the time from spawning `node` until the bundle's import has resolved, with the environment the
 * stack sets (dummy values) and the bundled configuration beside it. The import alone is reported
 * too. Median of 7 samples (3 with --quick), bundles interleaved so machine noise hits all alike.
 *
 * The ratio is taken on the CPU time the process used until the import resolved (user + system):
 * on a shared machine wall-clock start-up swings by 2x with other load, CPU time barely moves.
 * Wall-clock figures are shown beside it.
 * Targets: receiver <= 2x the empty handler, every other function <= 3x.
 *
 * Deferred to first use: lazy loading (`import()` of undici, the S3 SDK, ...) moves work out of
 * module initialisation into the first invocation; it does not remove it. So that a reader sees
 * both, a second table reports, for each function, the extra CPU of evaluating what its own code
 * only loads with `import()` (found in esbuild's metafile: every module of the project that a
 * `import()` in the project's code targets, e.g. undici, the S3 commands, the Kaltura client), and
 * names the packages among it (those the entry does not reach through static imports). For that the
 * function is bundled a second time (same options) from an entry that re-exports it and adds one
 * export that `import()`s those same modules, which inside one bundle are the very modules the
 * first invocation would evaluate; in a fresh process that bundle is imported, then that export is
 * awaited, and the CPU in between is the deferred cost (median of the paired differences). It leaves
 * out Node built-ins imported lazily (`node:https` of the small AWS clients) and constructing
 * clients and agents. The targets stay on module initialisation, as the issue states.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { BUNDLED_CONFIG_FILE, ESBUILD_OPTIONS, ESM_OUTPUT_FILE } from '../infra/bundling.js';
import { loadConfigFile } from '../shared/config/load-config.js';
import type { BenchResult, BenchTarget } from './types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const FUNCTIONS = [
  { name: 'receiver', maxRatio: 2 },
  { name: 'check-worker', maxRatio: 3 },
  { name: 'live-health-worker', maxRatio: 3 },
  { name: 'export-worker', maxRatio: 3 },
  { name: 'microservice-worker', maxRatio: 3 },
  { name: 'scheduler', maxRatio: 3 },
] as const;

/** The environment the stack gives every function (names and URLs only), with dummy values. */
export function lambdaEnvironment(configPath: string): NodeJS.ProcessEnv {
  const queue = (name: string) => `https://sqs.eu-west-1.amazonaws.com/111122223333/${name}`;
  return {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    TZ: 'UTC',
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    LOG_LEVEL: 'info',
    REPORTING_CONFIG_PATH: configPath,
    CHECK_QUEUE_URL: queue('check'),
    EXPORT_QUEUE_URL: queue('export'),
    MICROSERVICE_QUEUE_URL: queue('microservice'),
    LIVE_HEALTH_QUEUE_URL: queue('live-health'),
    CHECK_DLQ_URL: queue('check-dlq'),
    EXPORT_DLQ_URL: queue('export-dlq'),
    MICROSERVICE_DLQ_URL: queue('microservice-dlq'),
    LIVE_HEALTH_DLQ_URL: queue('live-health-dlq'),
    BUCKET_NAME: 'bench-bucket',
    STATE_TABLE_NAME: 'bench-state',
    OPERATOR_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:bench-operator',
    KALTURA_SERVICE_URL: 'https://www.kaltura.com/api_v3',
    KALTURA_PARTNER_ID: '4242',
    KALTURA_CREDENTIALS_SECRET: 'bench/kaltura-credentials',
    WEBHOOK_SECRETS_SECRET: 'bench/webhook-secrets',
  };
}

export interface Bundle {
  readonly name: string;
  readonly dir: string;
  readonly bytes: number;
  /** Packages the function's own code imports only lazily (`import()`): evaluated on first use, not at init. */
  readonly deferred: readonly string[];
  /** Absolute paths of the modules the project's code `import()`s (bundled, not evaluated at init). */
  readonly lazyModules: readonly string[];
}

const packageOf = (path: string): string | undefined => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1];

/**
 * What a bundle defers to first use. `lazyModules`: the bundled modules a `import()` in the
 * project's own code (not inside node_modules) targets. `packages`: packages imported from the
 * project's code, present in the output, and not reachable from the entry through static imports
 * and requires (those are evaluated at init); names as the code imports them.
 */
export function deferredToFirstUse(metafile: Metafile): { packages: string[]; lazyModules: string[] } {
  const output = Object.values(metafile.outputs)[0];
  if (!output) return { packages: [], lazyModules: [] };
  const inOutput = (path: string) => (output.inputs[path]?.bytesInOutput ?? 0) > 0;
  const bytesOfPackage = new Map<string, number>();
  for (const [path, input] of Object.entries(output.inputs)) {
    const pkg = packageOf(path);
    if (pkg) bytesOfPackage.set(pkg, (bytesOfPackage.get(pkg) ?? 0) + input.bytesInOutput);
  }
  const entry = output.entryPoint;
  const atInit = new Set<string>(entry ? [entry] : []);
  const stack = [...atInit];
  while (stack.length > 0) {
    const file = stack.pop()!;
    for (const imp of metafile.inputs[file]?.imports ?? []) {
      if (imp.external || imp.kind === 'dynamic-import' || atInit.has(imp.path)) continue;
      atInit.add(imp.path);
      stack.push(imp.path);
    }
  }
  const packages = new Set<string>();
  const lazyModules = new Set<string>();
  for (const [file, input] of Object.entries(metafile.inputs)) {
    if (packageOf(file) || !inOutput(file)) continue;
    for (const imp of input.imports) {
      if (imp.external) continue;
      if (imp.kind === 'dynamic-import' && inOutput(imp.path)) lazyModules.add(join(root, imp.path));
      const pkg = packageOf(imp.path);
      if (!pkg || atInit.has(imp.path) || !(bytesOfPackage.get(pkg)! > 0)) continue;
      packages.add(imp.original ?? pkg);
    }
  }
  return { packages: [...packages].sort(), lazyModules: [...lazyModules].sort() };
}

/** Bundles `entry` into `<outRoot>/<name>/index.mjs` + the configuration JSON, as the stack does (tested against the stack's own asset). */
export async function bundle(name: string, entry: string, outRoot: string, configJson: string): Promise<Bundle> {
  const dir = join(outRoot, name);
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, ESM_OUTPUT_FILE);
  const result = await build({
    ...ESBUILD_OPTIONS,
    mainFields: [...ESBUILD_OPTIONS.mainFields],
    external: [...ESBUILD_OPTIONS.external],
    banner: { ...ESBUILD_OPTIONS.banner },
    entryPoints: [entry],
    outfile,
    absWorkingDir: root,
    logLevel: 'silent',
    metafile: true,
  });
  // As the stack's afterBundling hook does.
  writeFileSync(join(dir, BUNDLED_CONFIG_FILE), configJson);
  const { packages, lazyModules } = deferredToFirstUse(result.metafile);
  return { name, dir, bytes: statSync(outfile).size, deferred: packages, lazyModules };
}

/** The export of a first-use bundle that loads the function's lazily imported modules. */
const DEFERRED_EXPORT = '__benchLoadDeferred';

/**
 * The function bundled again (same options) from an entry that re-exports it plus
 * `DEFERRED_EXPORT`, which `import()`s `b.lazyModules`: inside one bundle these are the very modules
 * the function's code loads lazily, so awaiting it evaluates what the first invocation would.
 */
async function bundleFirstUse(b: Bundle, entry: string, outRoot: string, configJson: string): Promise<Bundle> {
  const name = b.name;
  const dir = join(outRoot, `${name}.first-use`);
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, ESM_OUTPUT_FILE);
  const contents = [`export * from ${JSON.stringify(entry)};`, `export const ${DEFERRED_EXPORT} = () => Promise.all([${b.lazyModules.map((p) => `import(${JSON.stringify(p)})`).join(', ')}]);`].join('\n');
  await build({
    ...ESBUILD_OPTIONS,
    mainFields: [...ESBUILD_OPTIONS.mainFields],
    external: [...ESBUILD_OPTIONS.external],
    banner: { ...ESBUILD_OPTIONS.banner },
    stdin: { contents, resolveDir: root, sourcefile: `${name}-first-use.ts`, loader: 'ts' },
    outfile,
    absWorkingDir: root,
    logLevel: 'silent',
  });
  writeFileSync(join(dir, BUNDLED_CONFIG_FILE), configJson);
  return { ...b, dir, bytes: statSync(outfile).size };
}

interface Sample {
  /** Wall clock from spawn until the import resolved. */
  readonly processMs: number;
  /** CPU time (user + system, all threads) the process used until then: robust to other load. */
  readonly cpuMs: number;
  readonly importMs: number;
  /** With `loadDeferred`: CPU and wall time of evaluating the deferred packages after the import. */
  readonly deferredCpuMs?: number;
  readonly deferredMs?: number;
}

/**
 * One cold start: spawn node, import the bundle. "Ready" is the moment the import resolved (what a
 * Lambda init pays: runtime start + module initialisation), measured on the shared wall clock
 * (`performance.timeOrigin + performance.now()` on both sides), so a handle left open at module
 * scope does not count as start-up time; the child then exits at once.
 */
function coldStart(b: Bundle, loadDeferred = false): Promise<Sample> {
  const url = pathToFileURL(join(b.dir, ESM_OUTPUT_FILE)).href;
  const script = [
    'const t0 = performance.now();',
    `const m = await import(${JSON.stringify(url)});`,
    'const t1 = performance.now();',
    "if (typeof m.handler !== 'function') throw new Error('no exported handler');",
    'const cpu = process.cpuUsage();',
    'const out = { importMs: t1 - t0, readyAt: performance.timeOrigin + t1, cpuMs: (cpu.user + cpu.system) / 1000 };',
    // Then, for a first-use bundle: what the first use adds (evaluating the lazily imported packages).
    ...(loadDeferred
      ? [
          `await m.${DEFERRED_EXPORT}();`,
          'const t2 = performance.now();',
          'const cpu2 = process.cpuUsage(cpu);',
          'Object.assign(out, { deferredMs: t2 - t1, deferredCpuMs: (cpu2.user + cpu2.system) / 1000 });',
        ]
      : []),
    'process.stdout.write(JSON.stringify(out));',
    'process.exit(0);',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const spawnedAt = performance.timeOrigin + performance.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: b.dir,
      env: lambdaEnvironment(join(b.dir, BUNDLED_CONFIG_FILE)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        const reason = err.split('\n').find((l) => /Error|error/.test(l)) ?? err.split('\n')[0] ?? `exit ${code}`;
        reject(new Error(`import failed: ${reason.trim().slice(0, 160)}`));
        return;
      }
      try {
        const { importMs, readyAt, cpuMs, deferredCpuMs, deferredMs } = JSON.parse(out) as { importMs: number; readyAt: number; cpuMs: number; deferredCpuMs?: number; deferredMs?: number };
        resolve({ processMs: readyAt - spawnedAt, cpuMs, importMs, ...(deferredCpuMs !== undefined && deferredMs !== undefined ? { deferredCpuMs, deferredMs } : {}) });
      } catch {
        reject(new Error(`unexpected output: ${out.slice(0, 120)}`));
      }
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (v: number) => `${v.toFixed(1)} ms`;

export async function run(options: { quick: boolean }): Promise<BenchResult[]> {
  const samples = options.quick ? 3 : 7;
  const outRoot = mkdtempSync(join(tmpdir(), 'kreports-bundles-'));
  try {
    const configFile = process.env.REPORTING_CONFIG || join(root, 'config', 'reporting.example.yaml');
    const configJson = JSON.stringify(await loadConfigFile(configFile), null, 2) + '\n';

    const emptyEntry = join(outRoot, 'empty-handler.ts');
    writeFileSync(emptyEntry, 'export const handler = async (): Promise<{ statusCode: number }> => ({ statusCode: 200 });\n');
    const empty = await bundle('empty-handler', emptyEntry, outRoot, configJson);

    // BUNDLES_BENCH_FUNCTIONS_DIR: measure other entry points (e.g. experiments) the same way.
    const functionsDir = process.env.BUNDLES_BENCH_FUNCTIONS_DIR || join(root, 'functions');
    const bundles: Bundle[] = [];
    const problems = new Map<string, string>();
    for (const f of FUNCTIONS) {
      const entry = join(functionsDir, f.name, 'index.ts');
      if (!existsSync(entry)) {
        problems.set(f.name, 'missing');
        continue;
      }
      try {
        bundles.push(await bundle(f.name, entry, outRoot, configJson));
      } catch (error) {
        problems.set(f.name, `bundle failed: ${(error as Error).message.split('\n')[0]}`);
      }
    }

    // Each function that defers packages to first use, bundled again with a way to load them.
    const deferredBundles = new Map<string, Bundle>();
    const deferredProblems = new Map<string, string>();
    for (const b of bundles) {
      if (b.lazyModules.length === 0) continue;
      try {
        deferredBundles.set(b.name, await bundleFirstUse(b, join(functionsDir, b.name, 'index.ts'), outRoot, configJson));
      } catch (error) {
        deferredProblems.set(b.name, `bundle failed: ${(error as Error).message.split('\n')[0]}`);
      }
    }

    // Warm the file cache once, then interleave: each round measures every bundle once (and, in
    // separate processes, every bundle followed by its deferred packages).
    const measured = [empty, ...bundles];
    const results = new Map<string, Sample[]>(measured.map((b) => [b.name, []]));
    const deferredResults = new Map<string, Sample[]>([...deferredBundles.keys()].map((name) => [name, []]));
    for (const b of measured) await coldStart(b).catch(() => undefined);
    for (const d of deferredBundles.values()) await coldStart(d, true).catch(() => undefined);
    for (let round = 0; round < samples; round++) {
      for (const b of measured) {
        if (problems.has(b.name)) continue;
        try {
          results.get(b.name)!.push(await coldStart(b));
        } catch (error) {
          problems.set(b.name, (error as Error).message);
        }
      }
      for (const b of bundles) {
        const deferred = deferredBundles.get(b.name);
        if (!deferred || problems.has(b.name) || deferredProblems.has(b.name)) continue;
        try {
          deferredResults.get(b.name)!.push(await coldStart(deferred, true));
        } catch (error) {
          deferredProblems.set(b.name, (error as Error).message);
        }
      }
    }
    const emptySamples = results.get(empty.name)!;
    if (emptySamples.length === 0) throw new Error(`the empty handler bundle does not start: ${problems.get(empty.name) ?? 'unknown'}`);
    const emptyProcess = median(emptySamples.map((s) => s.processMs));
    const emptyCpu = median(emptySamples.map((s) => s.cpuMs));
    const emptyImport = median(emptySamples.map((s) => s.importMs));

    const rows: Array<Record<string, string | number>> = [
      { function: 'empty handler (baseline)', bundle: kb(empty.bytes), 'init CPU': ms(emptyCpu), ratio: '1.00x', 'init wall': ms(emptyProcess), 'wall ratio': '1.00x', import: ms(emptyImport), status: 'ok' },
    ];
    const targets: BenchTarget[] = [];
    const deferredRows: Array<Record<string, string | number>> = [];
    for (const f of FUNCTIONS) {
      const b = bundles.find((x) => x.name === f.name);
      const problem = problems.get(f.name);
      const target = `${f.name} initialisation <= ${f.maxRatio}x the empty handler`;
      if (!b || problem) {
        rows.push({ function: f.name, bundle: b ? kb(b.bytes) : '-', 'init CPU': '-', ratio: '-', 'init wall': '-', 'wall ratio': '-', import: '-', status: problem ?? 'missing' });
        targets.push({ target, measured: problem ?? 'missing', pass: false });
        continue;
      }
      const s = results.get(f.name)!;
      const processMs = median(s.map((x) => x.processMs));
      const cpuMs = median(s.map((x) => x.cpuMs));
      const importMs = median(s.map((x) => x.importMs));
      const ratio = cpuMs / emptyCpu;
      const wallRatio = processMs / emptyProcess;
      rows.push({ function: f.name, bundle: kb(b.bytes), 'init CPU': ms(cpuMs), ratio: `${ratio.toFixed(2)}x`, 'init wall': ms(processMs), 'wall ratio': `${wallRatio.toFixed(2)}x`, import: ms(importMs), status: 'ok' });

      // Deferred to first use: paired per process (bundle, then its deferred packages).
      let deferredNote = '; no lazily imported modules (Node built-ins aside)';
      const packages = b.deferred.length > 0 ? b.deferred.join(', ') : 'none (only project modules)';
      if (b.lazyModules.length > 0) {
        const ds = deferredResults.get(f.name) ?? [];
        const deferredProblem = deferredProblems.get(f.name);
        if (ds.length === 0 || deferredProblem) {
          deferredRows.push({ function: f.name, 'lazy modules': b.lazyModules.length, 'packages among them': packages, 'first-use CPU': '-', 'first-use wall': '-', 'init + first use CPU': '-', 'ratio (info)': '-', status: deferredProblem ?? 'not measured' });
          deferredNote = `; deferred to first use: not measured (${deferredProblem ?? 'no samples'})`;
        } else {
          const extraCpu = median(ds.map((x) => x.deferredCpuMs ?? 0));
          const extraWall = median(ds.map((x) => x.deferredMs ?? 0));
          const total = cpuMs + extraCpu;
          deferredRows.push({
            function: f.name,
            'lazy modules': b.lazyModules.length,
            'packages among them': packages,
            'first-use CPU': `+${ms(extraCpu)}`,
            'first-use wall': `+${ms(extraWall)}`,
            'init + first use CPU': ms(total),
            'ratio (info)': `${(total / emptyCpu).toFixed(2)}x`,
            status: 'ok',
          });
          deferredNote = `; +${ms(extraCpu)} CPU deferred to first use (${b.lazyModules.length} lazily imported modules; packages: ${packages})`;
        }
      } else {
        deferredRows.push({ function: f.name, 'lazy modules': 0, 'packages among them': '-', 'first-use CPU': '-', 'first-use wall': '-', 'init + first use CPU': ms(cpuMs), 'ratio (info)': `${ratio.toFixed(2)}x`, status: 'ok' });
      }
      targets.push({
        target,
        measured: `${ratio.toFixed(2)}x CPU (${ms(cpuMs)} vs ${ms(emptyCpu)}); wall ${wallRatio.toFixed(2)}x (${ms(processMs)} vs ${ms(emptyProcess)}); ${kb(b.bytes)}${deferredNote}`,
        pass: ratio <= f.maxRatio,
      });
    }
    return [
      {
        title: `Lambda bundles: size and initialisation (spawn until the handler module is loaded) in a fresh Node ${process.versions.node} process, median of ${samples}; bundled with esbuild ${ESBUILD_OPTIONS.format}/${ESBUILD_OPTIONS.target}, minified, as the CDK stack bundles`,
        rows,
        targets,
      },
      {
        title: `Deferred to first use (NOT in the init figures above; paid by the first invocation of an execution environment): the modules each function's code only import()s (count, and the packages among them), evaluated inside its bundle in a fresh process right after the import, median of ${samples} paired differences; Node built-ins imported lazily and client construction are not counted`,
        rows: deferredRows,
        targets: [],
      },
    ];
  } finally {
    rmSync(outRoot, { recursive: true, force: true });
  }
}
