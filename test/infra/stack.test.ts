/**
 * The synthesized template, property by property. One real synth (esbuild bundling of stub entry
 * points) in beforeAll, shared by every test.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDeployConfig } from '../../infra/deploy-config.js';
import { ESM_REQUIRE_BANNER } from '../../infra/bundling.js';
import { WORKERS } from '../../infra/job-kinds.js';
import type { ReportingStack } from '../../infra/reporting-stack.js';
import { JOB_KINDS, type JobKind } from '../../shared/jobs/job-message.js';
import { MAX_RECEIVE_COUNT } from '../../shared/queues/job-batch-processor.js';
import { LambdaEnvSchema } from '../../shared/runtime/lambda-env.js';
import type { ReportingConfig } from '../../shared/config/schema.js';
import { buildStack, DEPLOY_CONFIG, FIXTURES, logicalIdOf, removeTempDirs, STUB_FUNCTIONS_DIR, tempDir } from './helpers.js';

type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, any>; DependsOn?: unknown };

// Values a careless stack could leak into the template (read from the environment at synth).
const SENTINELS = {
  KALTURA_ADMIN_SECRET: 'adm1nSecretSentinel0123456789abcdef',
  KALTURA_APP_TOKEN: 'appT0kenSentinel0123456789abcdef',
  KALTURA_WEBHOOK_SECRETS: 'w3bhookSentinelA,w3bhookSentinelB',
  DEV_SLACK_URL: 'https://hooks.slack.example/services/T000/B000/sentinelXYZ',
};

let stack: ReportingStack;
let template: Template;
let resources: Record<string, Resource>;
let templateText: string;
let config: ReportingConfig;
let outdir: string;

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type) as Array<[string, Resource]>;
const fnId = (kind: JobKind | 'receiver' | 'scheduler') =>
  kind === 'receiver' ? logicalIdOf(stack, stack.receiver.fn) : kind === 'scheduler' ? logicalIdOf(stack, stack.scheduler.fn) : logicalIdOf(stack, stack.workers[kind].function.fn);
const roleId = (kind: JobKind | 'receiver' | 'scheduler') =>
  logicalIdOf(stack, kind === 'receiver' ? stack.receiver.role : kind === 'scheduler' ? stack.scheduler.role : stack.workers[kind].function.role);
const queueId = (kind: JobKind) => logicalIdOf(stack, stack.workers[kind].jobQueue.queue);
const dlqId = (kind: JobKind) => logicalIdOf(stack, stack.workers[kind].jobQueue.deadLetterQueue);

/** Every IAM policy statement attached to a role. */
function statementsOf(role: string): Array<{ Action: string | string[]; Resource: unknown; Effect: string }> {
  return ofType('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === role))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}
const actionsOf = (s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: { Resource: unknown }) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);
const mentions = (value: unknown, logicalId: string) => JSON.stringify(value).includes(`"${logicalId}"`);

beforeAll(async () => {
  Object.assign(process.env, SENTINELS);
  config = await loadDeployConfig(DEPLOY_CONFIG);
  const built = await buildStack({ bundle: true });
  stack = built.stack;
  outdir = built.app.outdir;
  template = Template.fromStack(stack);
  const json = template.toJSON() as { Resources: Record<string, Resource> };
  resources = json.Resources;
  templateText = JSON.stringify(json);
});

afterAll(() => removeTempDirs());

describe('webhook API', () => {
  it('exposes exactly POST /webhooks/kaltura, proxied to the receiver with payload format 2.0', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route');
    expect(routes.map(([, r]) => r.Properties.RouteKey)).toEqual(['POST /webhooks/kaltura']);
    const integrations = ofType('AWS::ApiGatewayV2::Integration');
    expect(integrations).toHaveLength(1);
    expect(integrations[0]![1].Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    expect(mentions(integrations[0]![1].Properties.IntegrationUri, fnId('receiver'))).toBe(true);
  });

  it('throttles the stage and writes access logs to a log group with retention', () => {
    const [[, stage]] = ofType('AWS::ApiGatewayV2::Stage') as [[string, Resource]];
    expect(stage.Properties).toMatchObject({ StageName: '$default', AutoDeploy: true, DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 } });
    const destination = JSON.stringify(stage.Properties.AccessLogSettings.DestinationArn);
    const logGroupId = ofType('AWS::Logs::LogGroup').find(([id]) => destination.includes(id))?.[0];
    expect(logGroupId).toBeDefined();
    expect(resources[logGroupId!]!.Properties.RetentionInDays).toBe(30);
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format) as Record<string, string>;
    expect(format).toMatchObject({ status: '$context.status', path: '$context.path', requestId: '$context.requestId' });
    // Nothing that can carry a signature or a secret is logged.
    expect(Object.values(format).join(' ')).not.toMatch(/header|body|querystring/i);
  });

  it('outputs the webhook URL of the route', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const url = JSON.stringify(outputs.WebhookUrl!.Value);
    expect(url).toContain('/webhooks/kaltura');
    expect(url).toContain(logicalIdOf(stack, stack.webhookApi.api));
    expect(outputs.BucketName!.Value).toEqual({ Ref: logicalIdOf(stack, stack.reportBucket.bucket) });
  });

  it('outputs each job queue URL under the name kreports replay --aws asks for', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.ExportQueueUrl!.Value).toEqual({ Ref: queueId('export') });
    expect(outputs.CheckQueueUrl!.Value).toEqual({ Ref: queueId('check') });
    expect(outputs.MicroserviceQueueUrl!.Value).toEqual({ Ref: queueId('microservice') });
    expect(outputs.LiveHealthQueueUrl!.Value).toEqual({ Ref: queueId('live-health') });
  });
});

describe('job queues and workers', () => {
  it('gives each job kind its own queue consumed by its own worker with partial batch responses', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(JOB_KINDS.length);
    for (const kind of JOB_KINDS) {
      const mapping = mappings.find(([, m]) => m.Properties.FunctionName.Ref === fnId(kind));
      expect(mapping, kind).toBeDefined();
      const props = mapping![1].Properties;
      expect(props.EventSourceArn).toEqual({ 'Fn::GetAtt': [queueId(kind), 'Arn'] });
      expect(props.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(props.BatchSize).toBe(WORKERS[kind].batchSize);
      expect(props.ScalingConfig).toEqual({ MaximumConcurrency: WORKERS[kind].maxConcurrency });
      expect(props.ScalingConfig.MaximumConcurrency).toBeLessThanOrEqual(5); // protects the Kaltura API
    }
  });

  it('sets every queue visibility timeout to at least 6x its consumer timeout', () => {
    for (const kind of JOB_KINDS) {
      const fnTimeout = resources[fnId(kind)]!.Properties.Timeout as number;
      const visibility = resources[queueId(kind)]!.Properties.VisibilityTimeout as number;
      expect(visibility, kind).toBeGreaterThanOrEqual(6 * fnTimeout);
    }
  });

  it('redrives each queue to its own encrypted dead-letter queue after maxReceiveCount receives', () => {
    const dlqs = new Set<string>();
    for (const kind of JOB_KINDS) {
      const redrive = resources[queueId(kind)]!.Properties.RedrivePolicy;
      expect(redrive).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlqId(kind), 'Arn'] }, maxReceiveCount: WORKERS[kind].maxReceiveCount });
      // The workers dead-letter the last receive themselves, with its reason, only if they count to the same number.
      expect(redrive.maxReceiveCount, kind).toBe(MAX_RECEIVE_COUNT[kind]);
      expect(resources[dlqId(kind)]!.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
      dlqs.add(dlqId(kind));
    }
    expect(dlqs.size).toBe(JOB_KINDS.length);
  });

  it('encrypts every queue and refuses non-TLS access to it', () => {
    const queues = ofType('AWS::SQS::Queue');
    expect(queues.length).toBe(2 * JOB_KINDS.length + 1);
    for (const [id, queue] of queues) {
      expect(queue.Properties.SqsManagedSseEnabled, id).toBe(true);
      const policy = ofType('AWS::SQS::QueuePolicy').find(([, p]) => (p.Properties.Queues as Array<{ Ref: string }>).some((q) => q.Ref === id));
      expect(policy, `${id} has a TLS-only policy`).toBeDefined();
      expect(policy![1].Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('lets re-polling workers chain through their own queue without Lambda stopping the loop', () => {
    for (const kind of JOB_KINDS) {
      const expected = kind === 'live-health' || kind === 'microservice' ? 'Allow' : 'Terminate';
      expect(resources[fnId(kind)]!.Properties.RecursiveLoop, kind).toBe(expected);
    }
    expect(resources[fnId('receiver')]!.Properties.RecursiveLoop).toBe('Terminate');
  });

  it('lets workers send permanently failed jobs to their own dead-letter queue, and re-enqueue (poll, back off) only to their own queue', () => {
    for (const kind of JOB_KINDS) {
      const sends = statementsOf(roleId(kind)).filter((s) => actionsOf(s).includes('sqs:SendMessage'));
      const targets = sends.flatMap(resourcesOf).map((r) => JSON.stringify(r));
      expect(targets.some((t) => t.includes(dlqId(kind))), kind).toBe(true);
      // A job Kaltura asked to back off is sent again with a delay (shared/queues/job-batch-processor.ts).
      expect(targets.some((t) => t.includes(`"${queueId(kind)}"`)), kind).toBe(true);
      for (const other of JOB_KINDS.filter((k) => k !== kind)) expect(targets.some((t) => t.includes(`"${queueId(other)}"`)), `${kind} -> ${other}`).toBe(false);
    }
  });
});

describe('functions', () => {
  const allFunctions = ['receiver', ...JOB_KINDS, 'scheduler'] as const;

  it('run Node 22 on arm64 from an ESM bundle', () => {
    for (const f of allFunctions) {
      expect(resources[fnId(f)]!.Properties, f).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler' });
    }
  });

  it('get every variable of the Lambda environment contract, with names instead of secret values', () => {
    const required = Object.keys(LambdaEnvSchema.shape).filter((k) => k !== 'KALTURA_REPORTS_URL');
    for (const f of allFunctions) {
      const env = resources[fnId(f)]!.Properties.Environment.Variables as Record<string, unknown>;
      for (const key of required) expect(env[key], `${f} ${key}`).toBeDefined();
      expect(env.REPORTING_CONFIG_PATH).toBe('/var/task/reporting-config.json');
      expect(env.KALTURA_PARTNER_ID).toBe('4242');
      expect(env.KALTURA_SERVICE_URL).toBe('https://www.kaltura.com/api_v3');
      expect(env.KALTURA_CREDENTIALS_SECRET).toBe('KalturaReportingTest/kaltura-credentials');
      expect(env.WEBHOOK_SECRETS_SECRET).toBe('KalturaReportingTest/webhook-secrets');
      for (const kind of JOB_KINDS) {
        const queueEnv = { check: 'CHECK', export: 'EXPORT', microservice: 'MICROSERVICE', 'live-health': 'LIVE_HEALTH' }[kind];
        expect(env[`${queueEnv}_QUEUE_URL`]).toEqual({ Ref: queueId(kind) });
        expect(env[`${queueEnv}_DLQ_URL`]).toEqual({ Ref: dlqId(kind) });
      }
      expect(env.BUCKET_NAME).toEqual({ Ref: logicalIdOf(stack, stack.reportBucket.bucket) });
    }
  });

  it('log to their own log group with a retention', () => {
    for (const f of allFunctions) {
      const logGroup = resources[fnId(f)]!.Properties.LoggingConfig.LogGroup as { Ref: string };
      expect(resources[logGroup.Ref]!.Properties.RetentionInDays, f).toBe(30);
    }
  });

  it('bundle minified ESM with the createRequire banner and the validated configuration as JSON', () => {
    for (const f of allFunctions) {
      const assetPath = resources[fnId(f)]!.Metadata!['aws:asset:path'] as string;
      const dir = join(outdir, assetPath);
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith(ESM_REQUIRE_BANNER), f).toBe(true);
      expect(code).toMatch(/export\s*\{/);
      expect(code.trim().split('\n')).toHaveLength(2); // banner + one minified line
      expect(existsSync(join(dir, 'index.mjs.map'))).toBe(false);
      expect(JSON.parse(readFileSync(join(dir, 'reporting-config.json'), 'utf8'))).toEqual(config);
    }
  });

  it('carry the configuration they were synthesized with (another configuration, another bundle)', async () => {
    const other = await buildStack({ bundle: true, configFile: join(FIXTURES, 'minimal-config.yaml'), stackName: 'OtherConfig' });
    const otherResources = Template.fromStack(other.stack).toJSON().Resources as Record<string, Resource>;
    const receiverAsset = otherResources[logicalIdOf(other.stack, other.stack.receiver.fn)]!.Metadata!['aws:asset:path'] as string;
    const bundled = JSON.parse(readFileSync(join(other.app.outdir, receiverAsset, 'reporting-config.json'), 'utf8'));
    expect(bundled).toEqual(await loadDeployConfig(join(FIXTURES, 'minimal-config.yaml')));
    expect(bundled).not.toEqual(config);
  });

  it('are bundled byte for byte like the bundle benchmark bundles them', async () => {
    const { bundle } = await import('../../bench/bundles.bench.js');
    const dir = tempDir('kreports-bench-bundle-');
    for (const f of ['receiver', 'export-worker'] as const) {
      const ours = await bundle(f, join(STUB_FUNCTIONS_DIR, f, 'index.ts'), dir, '{}');
      const stackAsset = join(outdir, resources[fnId(f === 'receiver' ? 'receiver' : 'export')]!.Metadata!['aws:asset:path'] as string, 'index.mjs');
      expect(readFileSync(join(ours.dir, 'index.mjs')).equals(readFileSync(stackAsset)), f).toBe(true);
    }
  });
});

describe('least-privilege IAM', () => {
  it('starts every function role with no managed policy and no wildcard resource', () => {
    for (const [id, role] of ofType('AWS::IAM::Role')) expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
    for (const [id, policy] of ofType('AWS::IAM::Policy')) {
      for (const s of policy.Properties.PolicyDocument.Statement) expect(resourcesOf(s), id).not.toContain('*');
    }
  });

  it('lets the receiver read only the webhook secrets, write only under archive/ and queue jobs', () => {
    const statements = statementsOf(roleId('receiver'));
    const secretReads = statements.filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
    expect(secretReads.flatMap(resourcesOf)).toEqual([{ Ref: logicalIdOf(stack, stack.secrets.webhookSecrets.secret) }]);
    const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    expect(actionsOf(s3[0]!)).not.toContain('s3:GetObject*');
    expect(JSON.stringify(s3.flatMap(resourcesOf))).toContain('/archive/*');
    for (const kind of JOB_KINDS) expect(JSON.stringify(statements)).toContain(`"${queueId(kind)}"`);
  });

  it('keeps Kaltura credentials and destination secrets away from functions that do not call out', () => {
    const kalturaSecret = logicalIdOf(stack, stack.secrets.kalturaCredentials.secret);
    for (const kind of JOB_KINDS) expect(mentions(statementsOf(roleId(kind)), kalturaSecret), kind).toBe(true);
    expect(mentions(statementsOf(roleId('receiver')), kalturaSecret)).toBe(false);
    expect(JSON.stringify(statementsOf(roleId('scheduler')))).not.toMatch(/secretsmanager|s3:/);

    const destinationSecretArns = ['secret:kreports/slack-webhook-??????', 'secret:kreports/generic-hook-??????', 'secret:kreports/teams-AbCdEf'];
    for (const kind of ['check', 'live-health'] as const) {
      const text = JSON.stringify(statementsOf(roleId(kind)));
      for (const arn of destinationSecretArns) expect(text, `${kind} reads ${arn}`).toContain(arn);
      expect(text).toContain('arn:aws:sns:eu-west-1:111122223333:kreports-alerts');
    }
    for (const kind of ['export', 'microservice'] as const) {
      const statements = statementsOf(roleId(kind));
      const text = JSON.stringify(statements);
      expect(text).not.toContain('kreports/slack-webhook');
      // Exporters touch only the configured output prefix, never delete, and need no alert state or operator topic.
      const objectResources = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:PutObject') || a.startsWith('s3:GetObject'))).flatMap(resourcesOf);
      for (const r of objectResources) if (JSON.stringify(r).includes('/')) expect(JSON.stringify(r)).toContain('/exports/*');
      expect(statements.flatMap(actionsOf)).toEqual(expect.arrayContaining(['s3:PutObject', 's3:Abort*', 's3:GetObject*']));
      expect(statements.flatMap(actionsOf).some((a) => a.startsWith('s3:DeleteObject'))).toBe(false);
      expect(mentions(statements, logicalIdOf(stack, stack.stateTable.table))).toBe(false);
      expect(mentions(statements, logicalIdOf(stack, stack.operatorTopic.topic))).toBe(false);
    }
    for (const kind of ['check', 'live-health'] as const) {
      const statements = statementsOf(roleId(kind));
      expect(mentions(statements, logicalIdOf(stack, stack.stateTable.table)), kind).toBe(true);
      expect(statements.flatMap(actionsOf)).toContain('sns:Publish');
      expect(JSON.stringify(statements)).not.toMatch(/s3:/);
    }
  });
});

describe('storage', () => {
  it('encrypts the bucket, blocks public access, requires TLS and keeps server access logs', () => {
    const bucketId = logicalIdOf(stack, stack.reportBucket.bucket);
    const bucket = resources[bucketId]!.Properties;
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(bucket.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: logicalIdOf(stack, stack.reportBucket.accessLogBucket) });
    const policy = ofType('AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === bucketId)![1];
    const statements = policy.Properties.PolicyDocument.Statement as Array<Record<string, any>>;
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }));
  });

  it('expires archived notifications and aborts abandoned multipart uploads', () => {
    const rules = resources[logicalIdOf(stack, stack.reportBucket.bucket)]!.Properties.LifecycleConfiguration.Rules as Array<Record<string, any>>;
    expect(rules).toContainEqual(expect.objectContaining({ Prefix: 'archive/', ExpirationInDays: 90, Status: 'Enabled' }));
    expect(rules).toContainEqual(expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }));
    expect(rules).toContainEqual(expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }));
    // Exports themselves never expire by default.
    expect(rules.filter((r) => r.ExpirationInDays !== undefined).map((r) => r.Prefix)).toEqual(['archive/']);
  });

  it('keeps idempotency keys and alert state in one on-demand table with TTL and point-in-time recovery', () => {
    const tables = ofType('AWS::DynamoDB::GlobalTable');
    expect(tables).toHaveLength(1);
    const table = tables[0]![1].Properties;
    expect(table.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(table.AttributeDefinitions).toEqual([{ AttributeName: 'pk', AttributeType: 'S' }]);
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.Replicas[0].PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });
});

describe('schedules', () => {
  const expected = {
    'weekly-exports': { expression: 'cron(0 6 ? * MON *)', timezone: 'America/New_York' },
    'monthly-first': { expression: 'cron(30 2 1 * ? *)', timezone: 'Europe/Berlin' },
    'office-hours': { expression: 'cron(0/15 8-17 ? * MON,TUE,WED,THU,FRI *)', timezone: 'Asia/Tokyo' },
  } as const;

  it('creates one schedule per configured schedule with the converted cron in its timezone', () => {
    const schedules = ofType('AWS::Scheduler::Schedule');
    expect(schedules).toHaveLength(config.schedules.length);
    for (const [name, want] of Object.entries(expected)) {
      const found = schedules.find(([, s]) => JSON.parse(s.Properties.Target.Input).schedule === name);
      expect(found, name).toBeDefined();
      expect(found![1].Properties).toMatchObject({
        ScheduleExpression: want.expression,
        ScheduleExpressionTimezone: want.timezone,
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
      });
      // The scheduler Lambda computes the period from the fire time, not from when the retry arrives.
      expect(JSON.parse(found![1].Properties.Target.Input)).toEqual({ schedule: name, scheduledTime: '<aws.scheduler.scheduled-time>' });
    }
  });

  it('invokes the scheduler with retries and a dead-letter queue', () => {
    const dlq = logicalIdOf(stack, stack.schedulesDeadLetterQueue);
    for (const [, s] of ofType('AWS::Scheduler::Schedule')) {
      const target = s.Properties.Target;
      expect(target.Arn).toEqual({ 'Fn::GetAtt': [fnId('scheduler'), 'Arn'] });
      expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 6 * 3600 });
      expect(target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } });
    }
    // A run that fails inside the function is retried by Lambda and then dead-lettered too.
    const [[, invokeConfig]] = ofType('AWS::Lambda::EventInvokeConfig') as [[string, Resource]];
    expect(invokeConfig.Properties).toMatchObject({ FunctionName: { Ref: fnId('scheduler') }, MaximumRetryAttempts: 2 });
    expect(invokeConfig.Properties.DestinationConfig.OnFailure.Destination).toEqual({ 'Fn::GetAtt': [dlq, 'Arn'] });
  });
});

describe('alarms', () => {
  const alarms = () => ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const topicRef = () => ({ Ref: logicalIdOf(stack, stack.operatorTopic.topic) });

  it('alarm on any message in any dead-letter queue', () => {
    const dlqs = [...JOB_KINDS.map(dlqId), logicalIdOf(stack, stack.schedulesDeadLetterQueue)];
    for (const dlq of dlqs) {
      const alarm = alarms().find((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible' && mentions(a.Dimensions, dlq));
      expect(alarm, dlq).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', AlarmActions: [topicRef()], OKActions: [topicRef()] });
    }
  });

  it('alarm when a job queue holds a message older than its kind allows', () => {
    for (const kind of JOB_KINDS) {
      const alarm = alarms().find((a) => a.MetricName === 'ApproximateAgeOfOldestMessage' && mentions(a.Dimensions, queueId(kind)));
      expect(alarm, kind).toMatchObject({ Threshold: WORKERS[kind].oldestMessageAlarm.toSeconds(), AlarmActions: [topicRef()] });
    }
  });

  it('alarm on errors of every function and on API 5xx, all to the operator topic', () => {
    for (const f of ['receiver', ...JOB_KINDS, 'scheduler'] as const) {
      const alarm = alarms().find((a) => a.MetricName === 'Errors' && a.Namespace === 'AWS/Lambda' && mentions(a.Dimensions, fnId(f)));
      expect(alarm, f).toMatchObject({ Threshold: 1, AlarmActions: [topicRef()] });
    }
    const api5xx = alarms().find((a) => a.MetricName === '5xx' && a.Namespace === 'AWS/ApiGateway');
    expect(api5xx).toMatchObject({ Dimensions: [{ Name: 'ApiId', Value: { Ref: logicalIdOf(stack, stack.webhookApi.api) } }], AlarmActions: [topicRef()] });
    for (const a of alarms()) expect(a.AlarmActions).toEqual([topicRef()]);
  });

  it('encrypts the operator topic with a key CloudWatch may use, and passes its ARN to the functions', () => {
    const topic = resources[logicalIdOf(stack, stack.operatorTopic.topic)]!.Properties;
    expect(topic.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [logicalIdOf(stack, stack.operatorTopic.key), 'Arn'] });
    const keyPolicy = JSON.stringify(resources[logicalIdOf(stack, stack.operatorTopic.key)]!.Properties.KeyPolicy);
    expect(keyPolicy).toContain('cloudwatch.amazonaws.com');
    expect(resources[fnId('check')]!.Properties.Environment.Variables.OPERATOR_TOPIC_ARN).toEqual(topicRef());
  });
});

describe('dashboard', () => {
  it('shows traffic, receiver outcomes, every queue and dead-letter queue, and every function', () => {
    const [[, dashboard]] = ofType('AWS::CloudWatch::Dashboard') as [[string, Resource]];
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const outcome of ['accepted', 'duplicate', 'unmatched', 'rejected-signature', 'rejected-body', 'failed']) expect(body).toContain(outcome);
    for (const kind of JOB_KINDS) {
      expect(body).toContain(queueId(kind));
      expect(body).toContain(dlqId(kind));
      expect(body).toContain(fnId(kind));
    }
    expect(body).toContain(logicalIdOf(stack, stack.schedulesDeadLetterQueue));
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(JSON.stringify(outputs.DashboardUrl!.Value)).toContain('#dashboards:name=KalturaReportingTest');
  });
});

describe('secrets', () => {
  it('creates the Kaltura and webhook secrets with a generated placeholder, never a value', () => {
    const secrets = ofType('AWS::SecretsManager::Secret').map(([, s]) => s.Properties);
    expect(secrets.map((s) => s.Name).sort()).toEqual(['KalturaReportingTest/kaltura-credentials', 'KalturaReportingTest/webhook-secrets']);
    for (const s of secrets) {
      expect(s.SecretString).toBeUndefined();
      expect(s.GenerateSecretString.GenerateStringKey).toBe('placeholder');
    }
    const webhook = secrets.find((s) => s.Name.endsWith('webhook-secrets'))!;
    // An unfilled deployment accepts no signature at all.
    expect(JSON.parse(webhook.GenerateSecretString.SecretStringTemplate)).toEqual({ secrets: [] });
  });

  it('puts no secret value from the synth environment anywhere in the template', () => {
    for (const value of Object.values(SENTINELS).flatMap((v) => v.split(','))) expect(templateText).not.toContain(value);
  });
});
