/**
 * docs/cost.md cannot drift from the stack: its inputs block must equal what the synthesized template
 * says (memory, architecture, timeouts, event source batch size and maxConcurrency, table billing mode,
 * log retention, and the counts of resources with a monthly charge), and its headline figures must be
 * what its own prices and assumptions give.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildStack, removeTempDirs } from './helpers.js';
import { DEFAULT_MAX_CONCURRENT_REQUESTS } from '../../shared/kaltura/kaltura-client.js';

const COST_DOC = join(import.meta.dirname, '..', '..', 'docs', 'cost.md');
const DEPLOY_DOC = join(import.meta.dirname, '..', '..', 'docs', 'deploy.md');

/**
 * Jobs one worker invocation runs at once (`concurrency` of processJobBatch): 4 by default
 * (shared/alerts/lambda-alert-worker.ts), 1 for exports (shared/exports/lambda-export-worker.ts).
 */
const JOBS_AT_ONCE: Record<string, number> = { 'check-worker': 4, 'live-health-worker': 4, 'export-worker': 1, 'microservice-worker': 4 };

const Fn = z.strictObject({ memoryMb: z.number(), architecture: z.string(), timeoutSeconds: z.number() });
const TemplateInputs = z.strictObject({
  functions: z.record(z.string(), Fn),
  eventSources: z.record(z.string(), z.strictObject({ batchSize: z.number(), maxConcurrency: z.number() })),
  tableBillingMode: z.string(),
  logRetentionDays: z.number(),
  logGroups: z.number(),
  queues: z.number(),
  alarms: z.number(),
  dashboards: z.number(),
  secrets: z.number(),
  kmsKeys: z.number(),
  apiThrottle: z.strictObject({ rateLimit: z.number(), burstLimit: z.number() }),
});
const CostInputs = z.strictObject({
  region: z.string(),
  pricesAsOf: z.iso.date(),
  template: TemplateInputs,
  prices: z.record(z.string(), z.number()),
  assumptions: z.record(z.string(), z.number()),
});
type CostInputs = z.infer<typeof CostInputs>;

function readDoc(): { text: string; inputs: CostInputs } {
  const text = readFileSync(COST_DOC, 'utf8');
  const block = /```json cost-inputs\n([\s\S]*?)\n```/.exec(text);
  if (!block) throw new Error('docs/cost.md has no ```json cost-inputs block');
  return { text, inputs: CostInputs.parse(JSON.parse(block[1]!)) };
}

/** Logical-id prefixes of the stack's functions (infra/reporting-stack.ts construct ids). */
const FUNCTIONS: Record<string, string> = {
  receiver: 'ReceiverFunction',
  'check-worker': 'CheckWorkerFunction',
  'live-health-worker': 'LiveHealthWorkerFunction',
  'export-worker': 'ExportWorkerFunction',
  'microservice-worker': 'MicroserviceWorkerFunction',
  scheduler: 'SchedulerFunction',
};

type Resource = { Type: string; Properties: Record<string, any> };

/** The cost inputs as the synthesized template states them. */
function inputsFromTemplate(resources: Record<string, Resource>): z.infer<typeof TemplateInputs> {
  const of = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const functionIds = new Map<string, string>();
  const functions: Record<string, z.infer<typeof Fn>> = {};
  for (const [id, r] of of('AWS::Lambda::Function')) {
    const name = Object.keys(FUNCTIONS).find((n) => id.startsWith(FUNCTIONS[n]!)) ?? id;
    functionIds.set(id, name);
    functions[name] = { memoryMb: r.Properties.MemorySize, architecture: (r.Properties.Architectures ?? ['x86_64']).join(','), timeoutSeconds: r.Properties.Timeout };
  }
  const eventSources: Record<string, { batchSize: number; maxConcurrency: number }> = {};
  for (const [, r] of of('AWS::Lambda::EventSourceMapping')) {
    const name = functionIds.get(r.Properties.FunctionName?.Ref) ?? JSON.stringify(r.Properties.FunctionName);
    eventSources[name] = { batchSize: r.Properties.BatchSize, maxConcurrency: r.Properties.ScalingConfig?.MaximumConcurrency };
  }
  const tables = [...of('AWS::DynamoDB::GlobalTable'), ...of('AWS::DynamoDB::Table')].map(([, r]) => r.Properties.BillingMode ?? 'PROVISIONED');
  const retentions = [...new Set(of('AWS::Logs::LogGroup').map(([, r]) => r.Properties.RetentionInDays ?? 'never'))];
  const stage = of('AWS::ApiGatewayV2::Stage')[0]![1].Properties.DefaultRouteSettings;
  return {
    functions,
    eventSources,
    tableBillingMode: [...new Set(tables)].join(','),
    logRetentionDays: retentions.length === 1 ? retentions[0] : (retentions as never),
    logGroups: of('AWS::Logs::LogGroup').length,
    queues: of('AWS::SQS::Queue').length,
    alarms: of('AWS::CloudWatch::Alarm').length,
    dashboards: of('AWS::CloudWatch::Dashboard').length,
    secrets: of('AWS::SecretsManager::Secret').length,
    kmsKeys: of('AWS::KMS::Key').length,
    apiThrottle: { rateLimit: stage.ThrottlingRateLimit, burstLimit: stage.ThrottlingBurstLimit },
  };
}

/** The headline figures of docs/cost.md from its own inputs (decimal KB/GB, as the page explains). */
function headline(i: CostInputs) {
  const p = i.prices as Record<string, number>;
  const a = i.assumptions as Record<string, number>;
  const f = i.template.functions;
  const gbs = (fn: string, seconds: number) => (f[fn]!.memoryMb / 1024) * seconds * p.lambdaArmGbSecond!;
  const M = 1e6;
  const logs = (gb: number) => gb * (p.logsIngestPerGb! + p.logsStoragePerGbMonth!);
  const receiver = (ms: number) => p.httpApiRequestPerMillion! + p.lambdaRequestPerMillion! + M * gbs('receiver', ms / 1000) + a.receiverDynamoWrites! * p.dynamoWritePerMillion!;
  const archive = (M / 1000) * p.s3PutPerThousand! + (a.archivedNotificationKb! * M) / 1e6 * a.archiveMonthsKept! * p.s3StandardGbMonth!;
  const unmatched = receiver(a.receiverMsUnmatched!) + archive + logs(a.logKbPerNotification!);
  const exportJob = gbs('export-worker', a.exportSeconds!) + p.lambdaRequestPerMillion! / M + (a.exportS3Puts! * p.s3PutPerThousand!) / 1000;
  const sqsJob = (a.sqsRequestsPerJob! * p.sqsRequestPerMillion!) / M;
  const logJob = logs(a.logKbPerJob! / 1e6);
  const checkJob = gbs('check-worker', a.checkSeconds!) + p.lambdaRequestPerMillion! / M / a.checksPerInvocation! + (a.checkDynamoWrites! * p.dynamoWritePerMillion! + a.checkDynamoReads! * p.dynamoReadPerMillion!) / M;
  const matched = receiver(a.receiverMsMatched!) + archive + logs(a.logKbPerNotification!) + M * (exportJob + checkJob + 2 * sqsJob + 2 * logJob);
  const weeklyReport = (gbs('export-worker', a.weeklyReportExportSeconds!) + (a.weeklyReportS3Puts! * p.s3PutPerThousand!) / 1000) * a.weeksPerMonth!;
  const weeklyPerEntry = 10_000 * (exportJob + sqsJob + logJob) * a.weeksPerMonth!;
  const t = i.template;
  const idleWithoutDashboard = t.alarms * p.alarmMonth! + t.kmsKeys * p.kmsKeyMonth! + t.secrets * p.secretMonth! + (a.idleSqsRequestsPerMonth! * p.sqsRequestPerMillion!) / M;
  return { unmatched, matched, weeklyReport, weeklyPerEntry, idle: idleWithoutDashboard + t.dashboards * p.dashboardMonth!, idleWithoutDashboard };
}

describe('docs/cost.md', () => {
  let resources: Record<string, Resource>;
  beforeAll(async () => {
    // Synthesize as `npm run synth` does and read the template from the cloud assembly (cdk.out).
    const { app } = await buildStack();
    const assembly = app.synth();
    const file = readdirSync(assembly.directory).find((f) => f.endsWith('.template.json'))!;
    resources = JSON.parse(readFileSync(join(assembly.directory, file), 'utf8')).Resources;
  }, 120_000);
  afterAll(() => removeTempDirs());

  it('uses the inputs the synthesized template has (memory, architecture, timeouts, billing mode, retention, counts)', () => {
    const { inputs } = readDoc();
    expect(inputsFromTemplate(resources)).toEqual(inputs.template);
  });

  it('states headline figures that its own prices and assumptions give', () => {
    // Prepare
    const { text, inputs } = readDoc();
    const h = headline(inputs);
    const money = (n: number, digits = 2) => `$${n.toFixed(digits)}`;
    // Assess: each figure appears in the summary table, rounded as printed
    expect(text).toContain(`**≈ ${money(h.unmatched)}**`);
    expect(text).toContain(`**≈ ${money(h.matched)}**`);
    expect(text).toContain(`**≈ ${money(h.weeklyReport, 4)} a month**`);
    expect(text).toContain(`**≈ ${money(h.weeklyPerEntry)} a month**`);
    expect(text).toContain(`**≈ ${money(h.idle)} a month** (${money(h.idleWithoutDashboard)}`);
  });

  it('states the AWS Kaltura budget in docs/deploy.md as the template gives it: sum of maxConcurrency x in-flight per worker', () => {
    // Prepare
    const { eventSources } = inputsFromTemplate(resources);
    const text = readFileSync(DEPLOY_DOC, 'utf8');
    // Act: per worker, the client's budget, the jobs it runs at once and its batch size bound what is in flight
    const rows = Object.entries(eventSources).map(([fn, es]) => ({ fn, maxConcurrency: es.maxConcurrency, perWorker: Math.min(DEFAULT_MAX_CONCURRENT_REQUESTS, JOBS_AT_ONCE[fn]!, es.batchSize) }));
    const total = rows.reduce((n, r) => n + r.maxConcurrency * r.perWorker, 0);
    // Assess
    for (const r of rows) expect(text).toContain(`| ${r.fn.replace('-worker', '')} | ${r.maxConcurrency} | ${r.perWorker} | ${r.maxConcurrency * r.perWorker} |`);
    expect(text).toContain(`| **all** | ${rows.reduce((n, r) => n + r.maxConcurrency, 0)} | | **${total}** |`);
    expect(text).toContain(`at most **${total}** Kaltura requests in flight per partner`);
  });

  it('dates its prices', () => {
    const { text, inputs } = readDoc();
    expect(text).toContain(`as of ${inputs.pricesAsOf}`);
    expect(text).toMatch(/check them against the AWS pricing pages/);
  });
});
