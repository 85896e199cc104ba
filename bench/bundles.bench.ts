/**
 * Lambda bundles: what a cold request costs each function — module initialisation AND its first
 * invocation — against the handler any engineer would write for the same job with the AWS SDK v3
 * (bench/baselines/): `sqs-handler` (SQS client, one SendMessageBatch) for the receiver and the
 * scheduler, `s3-sqs-handler` (S3 + SQS clients, one PutObject and one SendMessage) for the queue
 * workers. Everything is bundled with esbuild exactly as the CDK stack bundles it (infra/bundling.ts:
 * ESM, minified, tree-shaken, SDK bundled), with the configuration beside it.
 *
 * Each sample is a fresh Node 22 process running the bundle through the deployed-artifact harness
 * (test/deployed-artifact/invoke-bundle.mjs) with the environment the stack's template gives the
 * function, resolved to loopback peers (test/deployed-artifact/local-deployment.ts: SQS/SNS/Secrets
 * Manager stand-in, s3rver, dynalite, the Kaltura simulator). One realistic event per process:
 * the receiver gets a newly signed notification (a new event id each time, so never a duplicate),
 * each worker an SQS event with one job the receiver produced, the scheduler its EventBridge
 * input; the baselines do their sends against the same peers.
 *
 * Measured: "init" = CPU time (user + system) of the whole process until the bundle's import
 * resolved (runtime start + module initialisation, what Lambda's Init phase bills); "first" = CPU
 * time of the first handler call (lazy imports, client construction, credentials, the real work).
 * CPU time, not wall clock: on a shared machine wall-clock start-up swings by 2x with other load,
 * CPU time barely moves (wall figures are shown beside it). Median of 7 samples (3 with --quick),
 * all bundles interleaved per round so machine noise hits all alike.
 *
 * Target (issue 11): receiver <= 1.3x its baseline, workers <= 1.5x theirs, on init + first
 * invocation — what a cold request actually costs; moving work from init into the first call
 * (lazy imports) does not lower it. The init and first-invocation ratios are shown too, and the
 * init ratio to an empty handler as information. The scheduler is held to the worker target
 * against the SQS baseline (it only sends to SQS). Three more rows are information only:
 * `receiver-clients-handler`, a minimal handler with the receiver's four SDK clients (Secrets
 * Manager, DynamoDB, S3, SQS; one call each), and `export-calls-handler`, one with the export
 * worker's outside calls (Secrets Manager, one Kaltura call over undici, CSV and manifest to S3).
 * These two separate what the calls cost from what the project's own code adds. The third,
 * `sqs-handler-plain-esbuild`, is the SQS baseline bundled with esbuild's defaults: it shows what
 * the project's `node:http` alias saves any handler. Every baseline the targets use is bundled
 * exactly like the functions, alias included.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BUNDLED_CONFIG_FILE, ESBUILD_OPTIONS, ESM_OUTPUT_FILE } from '../infra/bundling.js';
import { loadConfigFile } from '../shared/config/load-config.js';
import type { BenchResult, BenchTarget } from './types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The environment the stack gives every function (names and URLs only), with dummy values: for import-only checks. */
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
}

/**
 * Bundles `entry` into `<outRoot>/<name>/index.mjs` + the configuration JSON, as the stack does
 * (tested against the stack's own asset). `plainEsbuild`: without the project's `node:http` alias,
 * as a handler bundled with esbuild's defaults would be (information row only).
 */
export async function bundle(name: string, entry: string, outRoot: string, configJson: string, options: { plainEsbuild?: boolean } = {}): Promise<Bundle> {
  const dir = join(outRoot, name);
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, ESM_OUTPUT_FILE);
  await build({
    ...ESBUILD_OPTIONS,
    mainFields: [...ESBUILD_OPTIONS.mainFields],
    external: [...ESBUILD_OPTIONS.external],
    banner: { ...ESBUILD_OPTIONS.banner },
    alias: options.plainEsbuild ? {} : { ...ESBUILD_OPTIONS.alias },
    entryPoints: [entry],
    outfile,
    absWorkingDir: root,
    logLevel: 'silent',
    // BUNDLES_BENCH_PROFILE_DIR: readable names in the CPU profiles (the figures are then not comparable).
    ...(process.env.BUNDLES_BENCH_PROFILE_DIR ? { minify: false, keepNames: true } : {}),
  });
  // As the stack's afterBundling hook does.
  writeFileSync(join(dir, BUNDLED_CONFIG_FILE), configJson);
  return { name, dir, bytes: statSync(outfile).size };
}

export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** One cold request: init and first-invocation figures of one fresh process. */
export interface ColdSample {
  readonly initCpuMs: number;
  readonly firstCpuMs: number;
  readonly initWallMs: number;
  readonly firstWallMs: number;
}

export interface ColdFigures {
  readonly initCpuMs: number;
  readonly firstCpuMs: number;
  /** Median of the per-process sums (not the sum of medians). */
  readonly totalCpuMs: number;
  readonly totalWallMs: number;
}

export function coldFigures(samples: ReadonlyArray<ColdSample>): ColdFigures {
  return {
    initCpuMs: median(samples.map((s) => s.initCpuMs)),
    firstCpuMs: median(samples.map((s) => s.firstCpuMs)),
    totalCpuMs: median(samples.map((s) => s.initCpuMs + s.firstCpuMs)),
    totalWallMs: median(samples.map((s) => s.initWallMs + s.firstWallMs)),
  };
}

/** Function vs baseline: the three ratios; the target is on init + first invocation. */
export function coldRatios(fn: ColdFigures, baseline: ColdFigures): { init: number; first: number; total: number } {
  return { init: fn.initCpuMs / baseline.initCpuMs, first: fn.firstCpuMs / baseline.firstCpuMs, total: fn.totalCpuMs / baseline.totalCpuMs };
}

type BaselineName = 'sqs-handler' | 's3-sqs-handler';

/**
 * Information row: `sqs-handler` bundled with esbuild's defaults, without the project's `node:http`
 * alias (infra/bundling-shims/node-http.cjs). Its ratio to `sqs-handler` is what that alias saves
 * any handler; the targets compare against baselines bundled exactly like the functions.
 */
const PLAIN_SQS_HANDLER = 'sqs-handler-plain-esbuild';

const FUNCTIONS: ReadonlyArray<{ name: string; construct: 'receiver' | 'scheduler' | 'check' | 'live-health' | 'export' | 'microservice'; baseline: BaselineName; maxRatio: number }> = [
  { name: 'receiver', construct: 'receiver', baseline: 'sqs-handler', maxRatio: 1.3 },
  { name: 'check-worker', construct: 'check', baseline: 's3-sqs-handler', maxRatio: 1.5 },
  { name: 'live-health-worker', construct: 'live-health', baseline: 's3-sqs-handler', maxRatio: 1.5 },
  { name: 'export-worker', construct: 'export', baseline: 's3-sqs-handler', maxRatio: 1.5 },
  { name: 'microservice-worker', construct: 'microservice', baseline: 's3-sqs-handler', maxRatio: 1.5 },
  { name: 'scheduler', construct: 'scheduler', baseline: 'sqs-handler', maxRatio: 1.5 },
];

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (v: number) => `${v.toFixed(1)} ms`;
const x = (v: number) => `${v.toFixed(2)}x`;

export async function run(options: { quick: boolean }): Promise<BenchResult[]> {
  const samples = options.quick ? 3 : 7;
  const outRoot = mkdtempSync(join(tmpdir(), 'kreports-bundles-'));
  // Loaded here, not at module scope: `test/infra/bundles.test.ts` imports `bundle` from this file.
  const [{ App }, { loadDeployConfig }, { ReportingStack }, local, harness, stack] = await Promise.all([
    import('aws-cdk-lib'),
    import('../infra/deploy-config.js'),
    import('../infra/reporting-stack.js'),
    import('../test/deployed-artifact/local-deployment.js'),
    import('../test/deployed-artifact/run-bundle.js'),
    import('../test/deployed-artifact/deployed-stack.js'),
  ]);
  let deployment: Awaited<ReturnType<typeof local.deployLocally>> | undefined;
  try {
    const configFile = process.env.REPORTING_CONFIG || join(root, 'config', 'reporting.example.yaml');
    const configJson = JSON.stringify(await loadConfigFile(configFile), null, 2) + '\n';

    // ---- bundles: the functions, the SDK baselines, the empty handler ------------------------
    // BUNDLES_BENCH_FUNCTIONS_DIR: measure other entry points (e.g. experiments) the same way.
    const functionsDir = process.env.BUNDLES_BENCH_FUNCTIONS_DIR || join(root, 'functions');
    const bundles = new Map<string, Bundle>();
    const problems = new Map<string, string>();
    const entries: Array<[string, string]> = [
      ['empty-handler', join(root, 'bench', 'baselines', 'empty-handler.ts')],
      ['sqs-handler', join(root, 'bench', 'baselines', 'sqs-handler.ts')],
      [PLAIN_SQS_HANDLER, join(root, 'bench', 'baselines', 'sqs-handler.ts')],
      ['s3-sqs-handler', join(root, 'bench', 'baselines', 's3-sqs-handler.ts')],
      ['receiver-clients-handler', join(root, 'bench', 'baselines', 'receiver-clients-handler.ts')],
      ['export-calls-handler', join(root, 'bench', 'baselines', 'export-calls-handler.ts')],
      ...FUNCTIONS.map((f): [string, string] => [f.name, join(functionsDir, f.name, 'index.ts')]),
    ];
    for (const [name, entry] of entries) {
      try {
        bundles.set(name, await bundle(name, entry, outRoot, configJson, { plainEsbuild: name === PLAIN_SQS_HANDLER }));
      } catch (error) {
        problems.set(name, `bundle failed: ${(error as Error).message.split('\n')[0]}`);
      }
    }

    // ---- the environment each function gets: from the stack's own template ----------------------
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const reporting = new ReportingStack(app, 'KalturaReportingBench', { config: await loadDeployConfig(configFile), kaltura: { partnerId: 4242 }, functionsDir });
    const template = app.synth().getStackByName(reporting.stackName).template as import('../test/deployed-artifact/deployed-stack.js').CfnTemplate;
    const constructs = { receiver: reporting.receiver, scheduler: reporting.scheduler, ...Object.fromEntries(Object.entries(reporting.workers).map(([k, w]) => [k, w.function])) } as Record<string, typeof reporting.receiver>;
    const logicalIdOf = (c: typeof reporting.receiver) => reporting.getLogicalId(c.fn.node.defaultChild as Parameters<typeof reporting.getLogicalId>[0]);
    const deployedAs = (b: Bundle, construct: string): import('../test/deployed-artifact/deployed-stack.js').DeployedFunction => {
      const logicalId = logicalIdOf(constructs[construct]!);
      const fn = stack.deployedFunctions({ outdir: outRoot, stackName: reporting.stackName, template: { ...template, Resources: { [logicalId]: { ...template.Resources[logicalId]!, Metadata: { 'aws:asset:path': b.dir } } } } })[0]!;
      return fn;
    };

    deployment = await local.deployLocally(template, { stackName: reporting.stackName, parameters: { KalturaPartnerId: '4242' }, simulator: { partnerId: 4242 } });
    const d = deployment;
    const receiverFn = deployedAs(bundles.get('receiver') ?? { name: 'receiver', dir: outRoot, bytes: 0 }, 'receiver');
    d.putSecretNamedBy(receiverFn, 'WEBHOOK_SECRETS_SECRET', JSON.stringify({ secrets: [d.sim.adminSecret] }));
    d.putSecretNamedBy(receiverFn, 'KALTURA_CREDENTIALS_SECRET', JSON.stringify({ adminSecret: d.sim.adminSecret }));
    const queueOf = (construct: 'check' | 'live-health' | 'export' | 'microservice') => d.environmentOf(receiverFn)[`${construct.toUpperCase().replace('-', '_')}_QUEUE_URL`]!;
    const purgeQueues = () => {
      for (const r of Object.values(d.resources)) if (r.ref.startsWith(d.aws.url)) d.aws.queue(r.ref)?.messages.splice(0);
    };

    // ---- realistic events: jobs as the receiver produces them ------------------------------------
    let entrySeq = 0;
    const apiEvent = () => {
      const built = d.sim.buildNotification({ entryId: `1_bench${String(++entrySeq).padStart(4, '0')}`, status: 2 });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(built.headers)) headers[k.toLowerCase()] = v;
      return { version: '2.0', routeKey: 'POST /webhooks/kaltura', rawPath: '/webhooks/kaltura', rawQueryString: '', headers, requestContext: { http: { method: 'POST', path: '/webhooks/kaltura' }, requestId: `bench-${entrySeq}` }, body: built.body.toString('utf8'), isBase64Encoded: false };
    };
    const jobs = new Map<string, string>();
    if (bundles.has('receiver')) {
      const seed = [
        d.sim.buildNotification({ entryId: '1_benchseed', status: 2 }),
        d.sim.buildNotification({ entryId: '1_benchlive', eventObjectType: 38 }),
        d.sim.buildNotification({ entryId: '9001', eventObjectType: 'virtualEventEventNotifications.VirtualEvent' }),
      ].map((built) => ({ ...apiEvent(), headers: Object.fromEntries(Object.entries(built.headers).map(([k, v]) => [k.toLowerCase(), v])), body: built.body.toString('utf8') }));
      await harness.runBundle({ bundleFile: join(receiverFn.assetDir, ESM_OUTPUT_FILE), exportName: 'handler', cwd: receiverFn.assetDir, env: d.environmentOf(receiverFn), events: seed });
      for (const kind of ['check', 'live-health', 'export', 'microservice'] as const) {
        const first = d.aws.queue(queueOf(kind))?.messages[0];
        if (first) jobs.set(kind, first.body);
      }
      purgeQueues();
    }
    const sqsEvent = (kind: 'check' | 'live-health' | 'export' | 'microservice') => {
      const body = jobs.get(kind);
      if (!body) throw new Error(`no ${kind} job: the receiver did not produce one from the seed notifications`);
      d.aws.send(queueOf(kind), body, { kind: { DataType: 'String', StringValue: kind } });
      return d.aws.receiveAsEvent(queueOf(kind), 1);
    };

    // What each measured bundle is, which environment it gets, and its one event per process.
    type Measured = { name: string; fn: import('../test/deployed-artifact/deployed-stack.js').DeployedFunction; event: () => unknown; outcome: (value: unknown) => string };
    const statusOutcome = (v: unknown) => `HTTP ${(v as { statusCode?: number } | null)?.statusCode ?? '?'}`;
    const batchOutcome = (v: unknown) => {
      const failures = (v as { batchItemFailures?: unknown[] } | null)?.batchItemFailures;
      return failures ? (failures.length === 0 ? 'batch ok' : `${failures.length} batch item failure(s)`) : `unexpected ${JSON.stringify(v)?.slice(0, 60)}`;
    };
    const measured: Measured[] = [];
    const add = (name: string, construct: string, event: () => unknown, outcome: (v: unknown) => string) => {
      const b = bundles.get(name);
      if (b) measured.push({ name, fn: deployedAs(b, construct), event, outcome });
    };
    add('empty-handler', 'receiver', () => ({}), statusOutcome);
    add('sqs-handler', 'receiver', apiEvent, statusOutcome);
    add(PLAIN_SQS_HANDLER, 'receiver', apiEvent, statusOutcome);
    add('s3-sqs-handler', 'export', () => sqsEvent('export'), batchOutcome);
    add('receiver-clients-handler', 'receiver', apiEvent, statusOutcome);
    add('export-calls-handler', 'export', () => sqsEvent('export'), batchOutcome);
    for (const f of FUNCTIONS) {
      if (f.construct === 'receiver') add(f.name, f.construct, apiEvent, statusOutcome);
      else if (f.construct === 'scheduler') add(f.name, f.construct, () => ({ schedule: 'weekly-exports', scheduledTime: new Date().toISOString() }), (v) => `${(v as { jobs?: number } | null)?.jobs ?? '?'} jobs queued`);
      else {
        const kind = f.construct;
        add(f.name, kind, () => sqsEvent(kind), batchOutcome);
      }
    }

    const results = new Map<string, ColdSample[]>(measured.map((m) => [m.name, []]));
    const outcomes = new Map<string, Set<string>>(measured.map((m) => [m.name, new Set()]));
    const once = async (m: Measured): Promise<ColdSample> => {
      const profileDir = process.env.BUNDLES_BENCH_PROFILE_DIR;
      const env = { ...d.environmentOf(m.fn), ...(profileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-interval=100 --cpu-prof-dir=${join(profileDir, m.name)}` } : {}) };
      const r = await harness.runBundle({ bundleFile: join(m.fn.assetDir, ESM_OUTPUT_FILE), exportName: 'handler', cwd: m.fn.assetDir, env, events: [m.event()], functionName: m.name, memoryLimitInMB: m.fn.memorySize, timeoutSeconds: m.fn.timeoutSeconds, killAfterMs: 60_000 });
      purgeQueues();
      if (r.initError) throw new Error(`init failed: ${r.initError.name}: ${r.initError.message.slice(0, 160)}`);
      const inv = r.invocations[0]!;
      if (!inv.ok) throw new Error(`first invocation threw ${inv.error?.name}: ${inv.error?.message.slice(0, 160)}`);
      outcomes.get(m.name)!.add(m.outcome(inv.value));
      return { initCpuMs: r.initCpuMs, firstCpuMs: inv.cpuMs, initWallMs: r.initWallMs, firstWallMs: inv.wallMs };
    };
    // Warm the file cache once, then interleave the rounds.
    for (const m of measured) await once(m).catch(() => undefined);
    for (let round = 0; round < samples; round++) {
      for (const m of measured) {
        if (problems.has(m.name)) continue;
        try {
          results.get(m.name)!.push(await once(m));
        } catch (error) {
          problems.set(m.name, (error as Error).message);
        }
      }
    }

    // ---- report ---------------------------------------------------------------------------------
    const figures = new Map<string, ColdFigures>();
    for (const [name, s] of results) if (s.length > 0 && !problems.has(name)) figures.set(name, coldFigures(s));
    const empty = figures.get('empty-handler');
    const row = (name: string, baseline?: BaselineName) => {
      const f = figures.get(name);
      const b = baseline ? figures.get(baseline) : undefined;
      const ratios = f && b ? coldRatios(f, b) : undefined;
      return {
        function: name,
        bundle: bundles.has(name) ? kb(bundles.get(name)!.bytes) : '-',
        'init CPU': f ? ms(f.initCpuMs) : '-',
        'first call CPU': f ? ms(f.firstCpuMs) : '-',
        'init + first CPU': f ? ms(f.totalCpuMs) : '-',
        baseline: baseline ?? '-',
        'ratio init / first / init+first': ratios ? `${x(ratios.init)} / ${x(ratios.first)} / ${x(ratios.total)}` : '-',
        'init vs empty (info)': f && empty ? x(f.initCpuMs / empty.initCpuMs) : '-',
        'init + first wall': f ? ms(f.totalWallMs) : '-',
        outcome: problems.get(name) ?? [...(outcomes.get(name) ?? [])].join('; '),
      };
    };
    const rows = [row('empty-handler'), row('sqs-handler'), { ...row(PLAIN_SQS_HANDLER, 'sqs-handler'), function: `${PLAIN_SQS_HANDLER} (info)` }, row('s3-sqs-handler'), { ...row('receiver-clients-handler', 'sqs-handler'), function: 'receiver-clients-handler (info)' }, { ...row('export-calls-handler', 's3-sqs-handler'), function: 'export-calls-handler (info)' }, ...FUNCTIONS.map((f) => row(f.name, f.baseline))];
    const targets: BenchTarget[] = FUNCTIONS.map((f) => {
      const target = `${f.name}: init + first invocation CPU <= ${f.maxRatio}x ${f.baseline}`;
      const fig = figures.get(f.name);
      const base = figures.get(f.baseline);
      if (!fig || !base) return { target, measured: problems.get(f.name) ?? problems.get(f.baseline) ?? 'not measured', pass: false };
      const r = coldRatios(fig, base);
      return {
        target,
        measured: `${x(r.total)} (${ms(fig.totalCpuMs)} vs ${ms(base.totalCpuMs)}); init ${x(r.init)} (${ms(fig.initCpuMs)} vs ${ms(base.initCpuMs)}), first call ${x(r.first)} (${ms(fig.firstCpuMs)} vs ${ms(base.firstCpuMs)}); ${kb(bundles.get(f.name)!.bytes)}`,
        pass: r.total <= f.maxRatio,
      };
    });
    return [
      {
        title: `Lambda cold request (fresh Node ${execFileSync(harness.lambdaNodeBinary(), ['--version'], { encoding: 'utf8' }).trim()} process: init = CPU until the bundle's import resolved, first call = CPU of one realistic invocation against loopback peers), median of ${samples}; bundled with esbuild ${ESBUILD_OPTIONS.format}/${ESBUILD_OPTIONS.target}, minified, as the CDK stack bundles. Target on init + first call vs the SDK baseline`,
        rows,
        targets,
      },
    ];
  } finally {
    await deployment?.close();
    if (process.env.BUNDLES_BENCH_PROFILE_DIR) process.stderr.write(`bundles kept in ${outRoot}\n`);
    else rmSync(outRoot, { recursive: true, force: true });
  }
}
