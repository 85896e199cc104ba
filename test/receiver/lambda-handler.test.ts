/**
 * The receiver Lambda handler with API Gateway HTTP API (payload 2.0) events, wired to local
 * stand-ins of SQS, DynamoDB (dynalite), S3 and Secrets Manager through the AWS SDK's own
 * AWS_ENDPOINT_URL_<SERVICE> variables — the same code path as in AWS, no AWS reached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import dynalite from 'dynalite';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { dynamoDbClient } from '../../shared/aws-clients/dynamodb.js';
import type { HttpApiEvent, HttpApiResult } from '../../shared/webhook/lambda-receiver.js';
import { startFakeSecretsManager, startFakeSqs, startSigningCheckS3, TEST_CREDENTIALS, type FakeSqs, type JsonPeer } from './aws-peers.js';
import { PREVIOUS_SECRET, SECRET, TEST_CONFIG_RAW } from './helpers.js';

/** An APIGatewayProxyEventV2 as the HTTP API sends it: lower-cased header names, body maybe base64. */
function httpApiEvent(request: { body: Buffer; headers: Record<string, string> }, options: { base64?: boolean } = {}): HttpApiEvent {
  const base64 = options.base64 ?? true;
  const event = {
    version: '2.0',
    routeKey: 'POST /webhooks/kaltura',
    rawPath: '/webhooks/kaltura',
    rawQueryString: '',
    headers: Object.fromEntries(Object.entries({ ...request.headers, 'Content-Length': String(request.body.length), Host: 'abc.execute-api.us-east-1.amazonaws.com' }).map(([k, v]) => [k.toLowerCase(), v])),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc',
      domainName: 'abc.execute-api.us-east-1.amazonaws.com',
      http: { method: 'POST', path: '/webhooks/kaltura', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: request.headers['User-Agent'] ?? 'test' },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey: 'POST /webhooks/kaltura',
      stage: '$default',
      time: '27/Nov/2026:07:00:00 +0000',
      timeEpoch: Date.now(),
    },
    body: base64 ? request.body.toString('base64') : request.body.toString('utf8'),
    isBase64Encoded: base64,
  };
  return event;
}

let sim: Simulator;
let sqs: FakeSqs;
let secrets: JsonPeer;
let s3: Awaited<ReturnType<typeof startSigningCheckS3>>;
let dynamo: Server;
let dir: string;
let handler: (event: HttpApiEvent) => Promise<HttpApiResult>;
let jobId = 700_000_000;
const QUEUES = { check: 'https://sqs.us-east-1.amazonaws.com/123/check', export: 'https://sqs.us-east-1.amazonaws.com/123/export', microservice: 'https://sqs.us-east-1.amazonaws.com/123/ms', 'live-health': 'https://sqs.us-east-1.amazonaws.com/123/live' };
const queued = () => [...sqs.queues.values()].reduce((n, list) => n + list.length, 0);

beforeAll(async () => {
  sim = await startSimulator({ adminSecret: SECRET });
  sqs = await startFakeSqs();
  secrets = await startFakeSecretsManager({ 'kreports/webhook': JSON.stringify({ secrets: [SECRET, PREVIOUS_SECRET] }) });
  s3 = await startSigningCheckS3();
  dynamo = dynalite({ createTableMs: 0 });
  await new Promise<void>((r) => dynamo.listen(0, '127.0.0.1', r));
  const dynamoUrl = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;
  await dynamoDbClient({ endpoint: dynamoUrl, region: 'us-east-1', credentials: TEST_CREDENTIALS }).send(
    new CreateTableCommand({
      TableName: 'state',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  dir = await mkdtemp(join(tmpdir(), 'lambda-receiver-'));
  await writeFile(join(dir, 'reporting-config.json'), JSON.stringify(TEST_CONFIG_RAW));
  Object.assign(process.env, {
    REPORTING_CONFIG_PATH: join(dir, 'reporting-config.json'),
    CHECK_QUEUE_URL: QUEUES.check,
    EXPORT_QUEUE_URL: QUEUES.export,
    MICROSERVICE_QUEUE_URL: QUEUES.microservice,
    LIVE_HEALTH_QUEUE_URL: QUEUES['live-health'],
    CHECK_DLQ_URL: `${QUEUES.check}-dlq`,
    EXPORT_DLQ_URL: `${QUEUES.export}-dlq`,
    MICROSERVICE_DLQ_URL: `${QUEUES.microservice}-dlq`,
    LIVE_HEALTH_DLQ_URL: `${QUEUES['live-health']}-dlq`,
    BUCKET_NAME: 'reports',
    STATE_TABLE_NAME: 'state',
    KALTURA_PARTNER_ID: '4242',
    WEBHOOK_SECRETS_SECRET: 'kreports/webhook',
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: TEST_CREDENTIALS.sessionToken,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_SQS: sqs.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
    AWS_ENDPOINT_URL_S3: s3.url,
    // The SDK's service-specific endpoint variable (service id "Secrets Manager").
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    LOG_LEVEL: 'error',
  });
  ({ handler } = await import('../../functions/receiver/index.js'));
});

afterAll(async () => {
  await Promise.all([sim.close(), sqs.close(), secrets.close(), s3.close(), new Promise<void>((r) => dynamo.close(() => r()))]);
  await rm(dir, { recursive: true, force: true });
});

describe('receiver Lambda (HTTP API payload 2.0)', () => {
  it('verifies a base64-encoded body over its decoded bytes and queues the jobs on SQS', async () => {
    // Prepare
    const id = ++jobId;
    const built = sim.buildNotification({ entryId: '0_lambda', entryName: 'Café 🎬', eventNotificationJobId: id });
    // Act
    const result = await handler(httpApiEvent(built));
    // Assess
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ status: 'accepted', jobs: 2 });
    expect(JSON.parse(sqs.queues.get(QUEUES.export)!.at(-1)!.body)).toMatchObject({ subject: { scope: 'entry', id: '0_lambda', name: 'Café 🎬' }, trigger: { eventNotificationJobId: String(id) } });
    expect(JSON.parse(sqs.queues.get(QUEUES.check)!.at(-1)!.body)).toMatchObject({ spec: { kind: 'check' } });
    const archived = [...s3.objects.keys()].find((k) => k.endsWith(`/${id}.json`));
    expect(archived).toMatch(/^\/reports\/archive\/notifications\/\d{4}\/\d{2}\/\d{2}\//);
    expect(sqs.rejectedSignatures).toBe(0);
  });

  it('accepts a plain (not base64) body, a legacy data= body and the previous secret', async () => {
    // Act
    const plain = await handler(httpApiEvent(sim.buildNotification({ entryId: '0_plain', eventNotificationJobId: ++jobId }), { base64: false }));
    const legacy = await handler(httpApiEvent(sim.buildNotification({ entryId: '0_legacy', legacy: true, algo: 'sha1', omitAlgoHeader: true, eventNotificationJobId: ++jobId })));
    const rotated = await handler(httpApiEvent(sim.buildNotification({ entryId: '0_rotated', secret: PREVIOUS_SECRET, algo: 'sha512', eventNotificationJobId: ++jobId })));
    // Assess
    expect([plain.statusCode, legacy.statusCode, rotated.statusCode]).toEqual([200, 200, 200]);
  });

  it('answers 401 to a forged notification and queues nothing', async () => {
    // Prepare
    const before = queued();
    // Act
    const result = await handler(httpApiEvent(sim.buildNotification({ entryId: '0_forged', secret: 'not-the-secret', eventNotificationJobId: ++jobId })));
    // Assess
    expect(result).toEqual({ statusCode: 401, headers: { 'content-type': 'application/json' }, body: '{"error":"unauthorized"}', isBase64Encoded: false });
    expect(queued()).toBe(before);
  });

  it('answers 503 while SQS fails, then queues exactly once on the retry, and a later duplicate is a no-op', async () => {
    // Prepare
    const built = sim.buildNotification({ entryId: '0_sqs_down', eventNotificationJobId: ++jobId });
    const before = queued();
    sqs.failCalls = 100;
    // Act
    const failed = await handler(httpApiEvent(built));
    sqs.failCalls = 0;
    const retried = await handler(httpApiEvent(built));
    const duplicate = await handler(httpApiEvent(built));
    // Assess
    expect(failed.statusCode).toBe(503);
    expect(retried.statusCode).toBe(200);
    expect(JSON.parse(duplicate.body)).toMatchObject({ status: 'duplicate' });
    expect(queued() - before).toBe(2);
  });

  it('queues one set of jobs for concurrent deliveries of the same notification', async () => {
    // Prepare
    const built = sim.buildNotification({ entryId: '0_concurrent', eventNotificationJobId: ++jobId });
    const before = queued();
    // Act
    const results = await Promise.all(Array.from({ length: 6 }, () => handler(httpApiEvent(built))));
    // Assess
    expect(results.every((r) => r.statusCode === 200 || r.statusCode === 503)).toBe(true);
    expect(results.filter((r) => JSON.parse(r.body).status === 'accepted')).toHaveLength(1);
    expect(queued() - before).toBe(2);
  });
});
