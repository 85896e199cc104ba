/**
 * The deployed artifact, run: the Lambda bundles exactly as `npm run synth` writes them to the
 * cloud assembly, each in a fresh Node 22 process with the environment the synthesized template
 * gives it (resolved to local peers, not copied), the AWS endpoints pointed at loopback stand-ins
 * with the SDK's standard `AWS_ENDPOINT_URL_<SERVICE>` variables, and Kaltura at the simulator.
 *
 * A notification goes the way it goes in AWS: API Gateway (HTTP API, payload 2.0) event -> receiver
 * -> message on the queue the export worker's event source mapping reads -> SQS event -> export
 * worker -> CSV + manifest in the bucket. This catches what unit tests cannot: bundling (ESM,
 * require of built-ins, missing exports), environment wiring (a variable naming the wrong queue,
 * a path that is not in the bundle) and protocol mistakes (signatures, request and response shapes).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployedFunctions, functionNamed, handlerEntry, synthesize, type CfnTemplate, type DeployedFunction, type Synthesized } from './deployed-stack.js';
import { deployLocally, LOCAL_ACCOUNT, LOCAL_REGION, type LocalDeployment } from './local-deployment.js';
import { lambdaNodeBinary, runBundle, type BundleRun } from './run-bundle.js';
import type { SqsEventRecord } from './aws-stand-in.js';

let synth: Synthesized;
let outdir: string;
let local: LocalDeployment;
let receiver: DeployedFunction;
let exportWorker: DeployedFunction;
let checkWorker: DeployedFunction;
/** What the template says about the export worker's trigger. */
let exportMapping: ReturnType<typeof sqsTriggerOf>;
let checkMapping: ReturnType<typeof sqsTriggerOf>;
let route: { routeKey: string; payloadFormatVersion: string };
let bucket: string;

const ADMIN_SECRET_FOR_LOGS = () => local.sim.adminSecret;

/** The logical id a `{Ref}` / `{Fn::GetAtt: [id, ...]}` points at. */
function targetOf(value: unknown): string {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  const id = v.Ref ?? v['Fn::GetAtt']?.[0];
  if (!id) throw new Error(`not a reference: ${JSON.stringify(value)}`);
  return id;
}

function resourcesOf(template: CfnTemplate, type: string) {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** The HTTP API route to `fn` (payload format from its integration). */
function routeTo(template: CfnTemplate, fn: DeployedFunction): { routeKey: string; payloadFormatVersion: string } {
  const integrations = resourcesOf(template, 'AWS::ApiGatewayV2::Integration').filter(([, r]) => targetOf(r.Properties!.IntegrationUri) === fn.logicalId);
  expect(integrations, 'one API Gateway integration targets the receiver').toHaveLength(1);
  const [integrationId, integration] = integrations[0]!;
  const routes = resourcesOf(template, 'AWS::ApiGatewayV2::Route').filter(([, r]) => JSON.stringify(r.Properties!.Target).includes(integrationId));
  expect(routes).toHaveLength(1);
  return { routeKey: String(routes[0]![1].Properties!.RouteKey), payloadFormatVersion: String(integration.Properties!.PayloadFormatVersion) };
}

/** The SQS queue an event source mapping feeds `fn` from, its redrive target and its response types. */
function sqsTriggerOf(template: CfnTemplate, fn: DeployedFunction): { queueId: string; dlqId: string; maxReceiveCount: number; reportsBatchItemFailures: boolean } {
  const mappings = resourcesOf(template, 'AWS::Lambda::EventSourceMapping').filter(([, r]) => targetOf(r.Properties!.FunctionName) === fn.logicalId);
  expect(mappings, `one event source mapping feeds ${fn.logicalId}`).toHaveLength(1);
  const props = mappings[0]![1].Properties!;
  const queueId = targetOf(props.EventSourceArn);
  const redrive = template.Resources[queueId]!.Properties!.RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: number };
  return {
    queueId,
    dlqId: targetOf(redrive.deadLetterTargetArn),
    maxReceiveCount: Number(redrive.maxReceiveCount),
    reportsBatchItemFailures: ((props.FunctionResponseTypes ?? []) as string[]).includes('ReportBatchItemFailures'),
  };
}

/** An API Gateway HTTP API (payload format 2.0) event, as the integration delivers a POST. */
function httpApiEvent(built: { body: Buffer; headers: Record<string, string> }, options: { base64?: boolean } = {}) {
  const [method, path] = route.routeKey.split(' ') as [string, string];
  const headers: Record<string, string> = { host: `abc123.execute-api.${LOCAL_REGION}.amazonaws.com`, 'content-length': String(built.body.length), 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' };
  for (const [k, v] of Object.entries(built.headers)) headers[k.toLowerCase()] = v;
  const now = new Date();
  return {
    version: route.payloadFormatVersion,
    routeKey: route.routeKey,
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: 'abc123',
      domainName: headers.host,
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: headers['user-agent'] ?? '' },
      requestId: `req-${now.getTime()}`,
      routeKey: route.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: options.base64 ? built.body.toString('base64') : built.body.toString('utf8'),
    isBase64Encoded: options.base64 === true,
  };
}

async function invoke(fn: DeployedFunction, events: unknown[]): Promise<BundleRun> {
  const { file, exportName } = handlerEntry(fn);
  const run = await runBundle({ bundleFile: file, exportName, cwd: fn.assetDir, env: local.environmentOf(fn), events, functionName: fn.logicalId, memoryLimitInMB: fn.memorySize, timeoutSeconds: fn.timeoutSeconds });
  expect(run.initError, `init of ${fn.logicalId}; logs:\n${run.logs.slice(-2000)}`).toBeUndefined();
  expect(run.invocations.filter((i) => !i.ok).map((i) => i.error), `no invocation threw; logs:\n${run.logs.slice(-2000)}`).toEqual([]);
  // Secrets never reach the logs, even at the first invocation of a deployed bundle.
  expect(run.logs).not.toContain(ADMIN_SECRET_FOR_LOGS());
  // Every call the function made was allowed by its role's policies in the template.
  expect(local.aws.denied.splice(0)).toEqual([]);
  // The synthesized bundle takes `node:http` through the shim (infra/bundling.ts): Node's own undici
  // (16–25 ms of a cold start) is never loaded.
  expect(run.nodeBundledUndiciLoaded, `${fn.logicalId} loaded Node's internal undici`).toBe(false);
  return run;
}

/** `invoke` while every Kaltura report call answers 503 (a job that keeps failing). */
async function invokeWhileKalturaReportsFail(fn: DeployedFunction, event: unknown): Promise<BundleRun> {
  local.sim.injectFault({ kind: 'http-status', status: 503, times: 1000, match: { service: 'report' } });
  try {
    return await invoke(fn, [event]);
  } finally {
    local.sim.clearFaults();
  }
}

const queueUrl = (logicalId: string) => local.resources[logicalId]!.ref;
const messagesOn = (logicalId: string) => local.aws.queue(queueUrl(logicalId))!.messages;

beforeAll(async () => {
  // Prepare: synth as a user does (no partner id: the template then asks for it as a parameter).
  outdir = mkdtempSync(join(tmpdir(), 'kreports-deployed-artifact-'));
  synth = synthesize(outdir);
  const functions = deployedFunctions(synth);
  receiver = functionNamed(functions, 'Receiver');
  exportWorker = functionNamed(functions, 'ExportWorker');
  route = routeTo(synth.template, receiver);
  exportMapping = sqsTriggerOf(synth.template, exportWorker);
  checkWorker = functionNamed(functions, 'CheckWorker');
  checkMapping = sqsTriggerOf(synth.template, checkWorker);
  // iam: each function calls as its role; SQS, SNS and Secrets Manager calls need the template's grants.
  local = await deployLocally(synth.template, { stackName: synth.stackName, parameters: { KalturaPartnerId: '4242' }, simulator: { partnerId: 4242, bigRowCount: 2000 }, iam: true });
  bucket = local.environmentOf(exportWorker).BUCKET_NAME!;
  local.putSecretNamedBy(receiver, 'WEBHOOK_SECRETS_SECRET', JSON.stringify({ secrets: [local.sim.adminSecret] }));
  local.putSecretNamedBy(exportWorker, 'KALTURA_CREDENTIALS_SECRET', JSON.stringify({ adminSecret: local.sim.adminSecret }));
}, 300_000); // a real synth (esbuild for six functions): ~30 s idle, several times that on a busy 2-core machine

afterAll(async () => {
  await local?.close();
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('the synthesized deployment', () => {
  it('is wired the way the test drives it: bundles on Node 22, an HTTP API v2 route, the export queue with partial batch responses', () => {
    // Assess
    expect(receiver.runtime).toBe('nodejs22.x');
    expect(exportWorker.runtime).toBe('nodejs22.x');
    expect(route).toEqual({ routeKey: expect.stringMatching(/^POST \//), payloadFormatVersion: '2.0' });
    // Without it, Lambda would ignore batchItemFailures and delete (or retry) the whole batch.
    expect(exportMapping.reportsBatchItemFailures).toBe(true);
    // The worker's queue is the one its environment names for export jobs; the DLQ its redrive target.
    const env = local.environmentOf(exportWorker);
    expect(env.EXPORT_QUEUE_URL).toBe(queueUrl(exportMapping.queueId));
    expect(env.EXPORT_DLQ_URL).toBe(queueUrl(exportMapping.dlqId));
    expect(env.REPORTING_CONFIG_PATH!.startsWith(exportWorker.assetDir)).toBe(true);
  });

  it('runs the bundles on the pinned Node 22 (as nodejs22.x)', async () => {
    // Act
    const { execFileSync } = await import('node:child_process');
    const version = execFileSync(lambdaNodeBinary(), ['--version'], { encoding: 'utf8' }).trim();
    // Assess
    expect(version).toMatch(/^v22\./);
  });
});

describe('a notification through the deployed bundles', () => {
  const entryId = '1_dplyart1';
  let notification: { body: Buffer; headers: Record<string, string> };
  let exportRecord: SqsEventRecord;

  it('receiver: a signed notification is answered 200, archived, and its jobs land on the queues the export and check workers read', async () => {
    // Prepare
    notification = local.sim.buildNotification({ entryId, status: 2 });
    // Act
    const run = await invoke(receiver, [httpApiEvent(notification)]);
    // Assess
    expect(run.invocations[0]!.value).toMatchObject({ statusCode: 200 });
    const queued = messagesOn(exportMapping.queueId);
    expect(queued).toHaveLength(1);
    expect(JSON.parse(queued[0]!.body)).toMatchObject({ rule: 'entry-ready', spec: { kind: 'export', name: 'performance' } });
    expect(queued[0]!.attributes.kind).toEqual({ DataType: 'String', StringValue: 'export' });
    expect(messagesOn(checkMapping.queueId).map((m) => JSON.parse(m.body) as { spec: { kind: string; name: string } }).map((m) => `${m.spec.kind}/${m.spec.name}`)).toEqual(['check/low-engagement']);
    expect(await local.listObjects(bucket, 'archive/')).toHaveLength(1);
    expect(local.aws.rejectedSignatures).toBe(0);
  });

  it('receiver: the same notification again, in a new execution environment and base64-encoded, is 200 and queues nothing new', async () => {
    // Prepare
    const before = messagesOn(exportMapping.queueId).length;
    // Act: a fresh process, so only the state table (dynalite) can know it was seen.
    const run = await invoke(receiver, [httpApiEvent(notification, { base64: true })]);
    // Assess
    expect(run.invocations[0]!.value).toMatchObject({ statusCode: 200 });
    expect(messagesOn(exportMapping.queueId)).toHaveLength(before);
  });

  it('receiver: a notification with a wrong signature is refused and queues nothing', async () => {
    // Prepare
    const forged = local.sim.buildNotification({ entryId: '1_forged00', status: 2, secret: 'not-the-admin-secret' });
    const before = messagesOn(exportMapping.queueId).length;
    // Act
    const run = await invoke(receiver, [httpApiEvent(forged)]);
    // Assess
    expect((run.invocations[0]!.value as { statusCode: number }).statusCode).toBeGreaterThanOrEqual(400);
    expect((run.invocations[0]!.value as { statusCode: number }).statusCode).toBeLessThan(500);
    expect(messagesOn(exportMapping.queueId)).toHaveLength(before);
  });

  it('export worker: the queued job as an SQS event -> no batch item failures, CSV and manifest in the bucket', async () => {
    // Prepare: what the event source mapping does.
    const event = local.aws.receiveAsEvent(queueUrl(exportMapping.queueId), 1);
    expect(event.Records).toHaveLength(1);
    exportRecord = event.Records[0]!;
    // Act
    const run = await invoke(exportWorker, [event]);
    // Assess
    expect(run.invocations[0]!.value).toEqual({ batchItemFailures: [] });
    const keys = await local.listObjects(bucket, `reports/entry-ready/performance/${entryId}/`);
    const manifestKey = keys.find((k) => k.endsWith('.manifest.json'));
    expect(manifestKey, `objects: ${keys.join(', ')}`).toBeDefined();
    const manifest = JSON.parse((await local.readObject(bucket, manifestKey!))!.toString('utf8')) as { dataKey: string; sha256: string; bytes: number; rows: number; header: string[] };
    const csv = await local.readObject(bucket, manifest.dataKey);
    expect(csv).toBeDefined();
    expect(createHash('sha256').update(csv!).digest('hex')).toBe(manifest.sha256);
    expect(csv!.length).toBe(manifest.bytes);
    expect(manifest.rows).toBeGreaterThan(0);
    expect(csv!.toString('utf8').split(/\r?\n/)[0]).toBe(manifest.header.join(','));
    expect(messagesOn(exportMapping.dlqId)).toHaveLength(0);
  });

  it('export worker: a poison batch -> the unparsable message is dead-lettered with its reason, a job whose Kaltura calls keep failing is reported as a batch item failure', async () => {
    // Prepare: a message that is not a job, and the real job again while Kaltura answers 503.
    const url = queueUrl(exportMapping.queueId);
    local.aws.queue(url)!.messages.length = 0;
    const poisonBody = 'this is not a job';
    local.aws.send(url, poisonBody);
    local.aws.send(url, exportRecord.body, { kind: { DataType: 'String', StringValue: 'export' } });
    const event = local.aws.receiveAsEvent(queueUrl(exportMapping.queueId), 10);
    const [poisonRecord, retriedRecord] = event.Records as [SqsEventRecord, SqsEventRecord];
    // Act
    const run = await invokeWhileKalturaReportsFail(exportWorker, event);
    // Assess
    expect(run.invocations[0]!.value).toEqual({ batchItemFailures: [{ itemIdentifier: retriedRecord.messageId }] });
    const dead = messagesOn(exportMapping.dlqId);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.body).toBe(poisonBody);
    expect(dead[0]!.attributes.reason?.StringValue).toMatch(/not JSON/);
    expect(poisonRecord.messageId).not.toBe(retriedRecord.messageId);
    expect(local.aws.rejectedSignatures).toBe(0);
  });

  it('export worker: on the last receive the queue allows, a job that still fails is dead-lettered with the reason instead of vanishing into the DLQ unexplained', async () => {
    // Prepare: the same job, delivered for the maxReceiveCount-th time (the template's redrive policy).
    const url = queueUrl(exportMapping.queueId);
    local.aws.queue(url)!.messages.length = 0;
    local.aws.queue(queueUrl(exportMapping.dlqId))!.messages.length = 0;
    local.aws.send(url, exportRecord.body).receiveCount = exportMapping.maxReceiveCount - 1;
    const event = local.aws.receiveAsEvent(url, 10);
    expect(event.Records[0]!.attributes.ApproximateReceiveCount).toBe(String(exportMapping.maxReceiveCount));
    // Act
    const run = await invokeWhileKalturaReportsFail(exportWorker, event);
    // Assess
    expect(run.invocations[0]!.value).toEqual({ batchItemFailures: [] });
    const dead = messagesOn(exportMapping.dlqId);
    expect(dead.map((m) => m.body)).toEqual([exportRecord.body]);
    expect(dead[0]!.attributes.reason?.StringValue).toMatch(new RegExp(`^Gave up after ${exportMapping.maxReceiveCount} attempts`));
    expect(dead[0]!.attributes.attempts).toEqual({ DataType: 'Number', StringValue: String(exportMapping.maxReceiveCount) });
  });
});

describe('permissions as the template grants them', () => {
  it('a function whose role lacks a grant is refused as AWS would refuse it: the receiver running as the check worker cannot read the webhook secrets and answers 503', async () => {
    // Prepare: the receiver's bundle and environment, the check worker's role.
    const impostor: DeployedFunction = { ...receiver, roleLogicalId: checkWorker.roleLogicalId! };
    const { file, exportName } = handlerEntry(impostor);
    const before = messagesOn(exportMapping.queueId).length;
    // Act
    const run = await runBundle({ bundleFile: file, exportName, cwd: impostor.assetDir, env: local.environmentOf(impostor), events: [httpApiEvent(local.sim.buildNotification({ entryId: '1_noperm00', status: 2 }))] });
    // Assess
    expect(run.invocations[0]!.value).toMatchObject({ statusCode: 503 });
    expect(local.aws.denied.splice(0)).toEqual([expect.objectContaining({ action: 'secretsmanager:GetSecretValue', resource: expect.stringContaining('webhook-secrets') })]);
    expect(messagesOn(exportMapping.queueId)).toHaveLength(before);
  });
});

describe('a schedule through the deployed scheduler', () => {
  it('the EventBridge Scheduler input from the template, to the function its target names -> the schedule\'s jobs on the export queue', async () => {
    // Prepare: the schedule as synthesized, its input as EventBridge Scheduler fills it in.
    const schedules = resourcesOf(synth.template, 'AWS::Scheduler::Schedule').map(([, r]) => r.Properties!.Target as { Arn: unknown; Input: string });
    const weekly = schedules.find((t) => (JSON.parse(t.Input) as { schedule: string }).schedule === 'weekly-exports');
    expect(weekly, 'the example configuration\'s weekly-exports schedule').toBeDefined();
    const scheduler = deployedFunctions(synth).find((f) => f.logicalId === targetOf(weekly!.Arn))!;
    const input = JSON.parse(weekly!.Input.replace('<aws.scheduler.scheduled-time>', '2026-11-30T11:00:00Z')) as unknown;
    local.aws.queue(queueUrl(exportMapping.queueId))!.messages.length = 0;
    // Act
    const run = await invoke(scheduler, [input]);
    // Assess: every job the bundled configuration's schedule names (all of its jobs are exports), on the export queue.
    const bundled = JSON.parse(readFileSync(join(scheduler.assetDir, 'reporting-config.json'), 'utf8')) as { schedules: Array<{ name: string; jobs: Array<{ name: string; kind: string }> }> };
    const expected = bundled.schedules.find((s) => s.name === 'weekly-exports')!.jobs;
    expect(expected.every((j) => j.kind === 'export')).toBe(true);
    expect(run.invocations[0]!.value).toMatchObject({ schedule: 'weekly-exports', jobs: expected.length });
    expect(messagesOn(exportMapping.queueId).map((m) => (JSON.parse(m.body) as { spec: { name: string } }).spec.name).sort()).toEqual(expected.map((j) => j.name).sort());
  });
});

