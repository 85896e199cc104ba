/**
 * The receiver's AWS adapters, on the AWS SDK v3 clients, against local peers: a DynamoDB emulator
 * (dynalite) for the idempotency store's conditional writes, an S3-compatible server (s3rver) for
 * the archive, and SQS / Secrets Manager stand-ins that check every signature with the SDK's signer.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { CreateTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoDbIdempotencyStore } from '../../shared/idempotency/dynamodb-idempotency-store.js';
import { createSqsJobQueue, QueueSendError } from '../../shared/queues/sqs-job-queue.js';
import { createSqsDeadLetterSink } from '../../shared/queues/sqs-dead-letter-sink.js';
import { createS3BlobStore } from '../../shared/storage/s3-blob-store.js';
import { cachedSecretString, parseWebhookSecrets } from '../../shared/secrets/secrets-manager.js';
import { dynamoDbClient } from '../../shared/aws-clients/dynamodb.js';
import { s3Client } from '../../shared/aws-clients/s3.js';
import { secretsManagerClient } from '../../shared/aws-clients/secrets-manager.js';
import { sqsClient } from '../../shared/aws-clients/sqs.js';
import { createJobMessage } from '../../shared/jobs/create-job-message.js';
import type { JobMessage } from '../../shared/jobs/job-message.js';
import { createHash } from 'node:crypto';
import { startFakeSecretsManager, startFakeSqs, startSigningCheckS3, TEST_CREDENTIALS, type FakeSqs } from './aws-peers.js';
import { createMemoryLogger } from '../../shared/logging/logger.js';
import { createReceiver } from '../../shared/webhook/receiver.js';
import { MemoryBlobStore, RecordingJobQueue, memoryIdempotencyStore, notificationJson, signedRequest, testConfig } from './helpers.js';

const credentials = async () => TEST_CREDENTIALS;
/** The SDK clients as the Lambdas build them, for a loopback peer; 2 attempts keep retried failures quick. */
const fast = { credentials, region: 'us-east-1', maxAttempts: 2 };

function jobMessages(n: number): JobMessage[] {
  return Array.from({ length: n }, (_, i) =>
    createJobMessage(
      { kind: 'export', name: `job-${i}`, source: { type: 'table', reportType: 1 } },
      { rule: 'r', trigger: { type: 'manual', requestedAt: '2026-11-27T00:00:00Z' }, at: new Date('2026-11-27T00:00:00Z'), timezone: 'UTC', partnerId: 1, defaultWindow: { lastDays: 1 }, defaultScope: 'partner' },
    ),
  );
}

describe('SQS job queue', () => {
  let sqs: FakeSqs;
  beforeAll(async () => {
    sqs = await startFakeSqs();
  });
  afterAll(async () => {
    await sqs.close();
  });
  const queueUrls = { check: 'https://sqs.us-east-1.amazonaws.com/1/check', export: 'https://sqs.us-east-1.amazonaws.com/1/export', microservice: 'https://sqs.us-east-1.amazonaws.com/1/ms', 'live-health': 'https://sqs.us-east-1.amazonaws.com/1/live' };

  it('sends 23 messages as batches of at most 10, signed, to the kind\'s queue, with attributes', async () => {
    // Prepare
    const queue = createSqsJobQueue({ queueUrls, client: sqsClient({ ...fast, endpoint: sqs.url }) });
    sqs.batchSizes.length = 0;
    // Act
    await queue.send('export', jobMessages(23), { delaySeconds: 30 });
    // Assess
    expect(sqs.batchSizes).toEqual([10, 10, 3]);
    const stored = sqs.queues.get(queueUrls.export)!;
    expect(stored).toHaveLength(23);
    expect(JSON.parse(stored[0]!.body)).toMatchObject({ version: 1, rule: 'r' });
    expect(stored[0]).toMatchObject({ delaySeconds: 30, attributes: { kind: { DataType: 'String', StringValue: 'export' } } });
    expect(sqs.rejectedSignatures).toBe(0);
  });

  it('resends the entries SQS reports as failed, and retries a 500', async () => {
    // Prepare
    const queue = createSqsJobQueue({ queueUrls, client: sqsClient({ ...fast, endpoint: sqs.url }) });
    sqs.queues.delete(queueUrls.check);
    sqs.failEntries = 2;
    sqs.failCalls = 1;
    // Act
    await queue.send('check', jobMessages(5));
    // Assess
    expect(sqs.queues.get(queueUrls.check)!.map((m) => (JSON.parse(m.body) as JobMessage).spec.name).sort()).toEqual(['job-0', 'job-1', 'job-2', 'job-3', 'job-4']);
  });

  it('throws a retryable error when entries keep failing', async () => {
    // Prepare
    const queue = createSqsJobQueue({ queueUrls, client: sqsClient({ ...fast, endpoint: sqs.url }) });
    sqs.failEntries = 100;
    // Act
    const error = await queue.send('microservice', jobMessages(2)).catch((e: unknown) => e);
    sqs.failEntries = 0;
    // Assess
    expect(error).toBeInstanceOf(QueueSendError);
    expect((error as QueueSendError).retryable).toBe(true);
  });

  it('refuses to pass for a caller with the wrong credentials (the peer checks signatures)', async () => {
    // Prepare
    const queue = createSqsJobQueue({ queueUrls, client: sqsClient({ ...fast, endpoint: sqs.url, credentials: async () => ({ ...TEST_CREDENTIALS, secretAccessKey: 'wrong' }) }) });
    // Act
    const error = await queue.send('check', jobMessages(1)).then(() => undefined, (e: unknown) => e as Error & { retryable: boolean });
    // Assess
    expect(String(error?.message)).toContain('InvalidSignatureException');
    expect(error?.retryable).toBe(false);
  });

  it('gives up on an endpoint that accepts the connection but never answers, with a retryable error', async () => {
    // Prepare: the SDK's request timeout only warns unless told to throw (client-options.ts); a hung call would hold the receiver.
    const { createServer } = await import('node:http');
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const queue = createSqsJobQueue({ queueUrls, client: sqsClient({ ...fast, endpoint, maxAttempts: 1, requestTimeoutMs: 300 }) });
    // Act
    const error = await queue.send('check', jobMessages(1)).catch((e: unknown) => e);
    silent.closeAllConnections();
    silent.close();
    // Assess
    expect(error).toBeInstanceOf(QueueSendError);
    expect((error as QueueSendError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/TimeoutError/);
  });

  it('dead-letters with the reason and context as message attributes', async () => {
    // Prepare
    const dlqUrls = { check: 'https://sqs.us-east-1.amazonaws.com/1/check-dlq', export: 'x', microservice: 'x', 'live-health': 'x' };
    const sink = createSqsDeadLetterSink({ dlqUrls, client: sqsClient({ ...fast, endpoint: sqs.url }) });
    // Act
    await sink.send({ kind: 'check', body: '{"not":"a job"}', reason: 'SQS message: version: expected 1', errorName: 'ValidationError', failedAt: '2026-11-27T07:00:00.000Z', attempts: 1 });
    // Assess
    const [letter] = sqs.queues.get(dlqUrls.check)!;
    expect(letter!.body).toBe('{"not":"a job"}');
    expect(letter!.attributes).toEqual({
      reason: { DataType: 'String', StringValue: 'SQS message: version: expected 1' },
      errorName: { DataType: 'String', StringValue: 'ValidationError' },
      failedAt: { DataType: 'String', StringValue: '2026-11-27T07:00:00.000Z' },
      attempts: { DataType: 'Number', StringValue: '1' },
      kind: { DataType: 'String', StringValue: 'check' },
    });
  });
});

describe('DynamoDB idempotency store (dynalite)', () => {
  let server: Server;
  let endpoint: string;
  const tableName = 'state';
  beforeAll(async () => {
    server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await dynamoDbClient({ ...fast, endpoint }).send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('claims once, answers in-progress while held and completed after, and frees a released claim', async () => {
    // Prepare
    const store = createDynamoDbIdempotencyStore({ tableName, client: dynamoDbClient({ ...fast, endpoint }) });
    // Act + Assess
    expect(await store.claim('notification#1', { lockSeconds: 30 })).toEqual({ status: 'claimed' });
    expect(await store.claim('notification#1', { lockSeconds: 30 })).toEqual({ status: 'in-progress' });
    await store.release('notification#1');
    expect(await store.claim('notification#1', { lockSeconds: 30 })).toEqual({ status: 'claimed' });
    await store.complete('notification#1', { ttlSeconds: 3600 });
    expect(await store.claim('notification#1', { lockSeconds: 30 })).toEqual({ status: 'completed' });
    const item = await dynamoDbClient({ ...fast, endpoint }).send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'idem#notification#1' } } }));
    expect(item.Item?.status).toEqual({ S: 'completed' });
    expect(Number(item.Item?.expiresAt?.N)).toBeGreaterThan(Date.now() / 1000 + 3500);
  });

  it('lets an expired lock be taken over; the old owner can then neither complete nor release the new claim', async () => {
    // Prepare
    let t = Date.now();
    const client = () => dynamoDbClient({ ...fast, endpoint });
    const a = createDynamoDbIdempotencyStore({ tableName, client: client(), now: () => t });
    const a2 = createDynamoDbIdempotencyStore({ tableName, client: client(), now: () => t });
    const b = createDynamoDbIdempotencyStore({ tableName, client: client(), now: () => t });
    const observer = createDynamoDbIdempotencyStore({ tableName, client: client(), now: () => t });
    // Act
    await a.claim('k2', { lockSeconds: 30 });
    await a2.claim('k3', { lockSeconds: 30 });
    t += 31_000;
    const takeover = await b.claim('k2', { lockSeconds: 30 });
    const takeover3 = await b.claim('k3', { lockSeconds: 30 });
    const lateComplete = await a.complete('k2', { ttlSeconds: 60 }).then(() => 'completed', (e: Error) => e.name);
    await a2.release('k3');
    // Assess
    expect([takeover.status, takeover3.status]).toEqual(['claimed', 'claimed']);
    expect(lateComplete).toContain('ConditionalCheckFailedException');
    expect((await observer.claim('k2', { lockSeconds: 30 })).status).toBe('in-progress');
    expect((await observer.claim('k3', { lockSeconds: 30 })).status).toBe('in-progress');
  });

  it('gives a key to exactly one of many concurrent claimers', async () => {
    // Prepare
    const stores = Array.from({ length: 5 }, () => createDynamoDbIdempotencyStore({ tableName, client: dynamoDbClient({ ...fast, endpoint }) }));
    // Act
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 5]!.claim('race', { lockSeconds: 30 })));
    // Assess
    expect(results.filter((r) => r.status === 'claimed')).toHaveLength(1);
  });
});

describe('S3 archive (s3rver for S3 compatibility)', () => {
  let s3: S3rver;
  let dir: string;
  let endpoint: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 's3rver-'));
    s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: 'reports', configs: [] }] });
    const { port } = (await s3.run()) as AddressInfo;
    endpoint = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('puts and reads back an archived notification at its key', async () => {
    // Prepare: s3rver knows only its own credentials.
    const store = createS3BlobStore({ bucket: 'reports', client: s3Client({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } }) });
    const body = JSON.stringify({ body: '{"name":"Caf\\u00e9 \\/ 日本"}' });
    // Act
    const put = await store.putBytes('archive/notifications/2026/11/27/33578094492.json', body, { contentType: 'application/json', metadata: { 'event-notification-job-id': '33578094492' } });
    const back = await store.getBytes('archive/notifications/2026/11/27/33578094492.json');
    const missing = await store.getBytes('archive/notifications/2026/11/27/none.json');
    // Assess
    expect(back?.toString('utf8')).toBe(body);
    expect(put.bytes).toBe(Buffer.byteLength(body));
    expect(missing).toBeUndefined();
  });

});

describe('S3 archive signatures (the SDK client against a stand-in that checks SigV4 with the SDK signer; s3rver does not)', () => {
  it('signs PUT and GET as the SDK does, content checksum included, and is refused with a wrong key', async () => {
    // Prepare
    const peer = await startSigningCheckS3();
    const good = createS3BlobStore({ bucket: 'reports', client: s3Client({ endpoint: peer.url, ...fast }) });
    const bad = createS3BlobStore({ bucket: 'reports', client: s3Client({ endpoint: peer.url, ...fast, credentials: async () => ({ ...TEST_CREDENTIALS, secretAccessKey: 'nope' }) }) });
    const key = 'archive/notifications/2026/11/27/a b+c.json';
    // Act
    await good.putBytes(key, '{"a":1}', { contentType: 'application/json' });
    const back = await good.getBytes(key);
    const error = await bad.putBytes('archive/x.json', '{}', { contentType: 'application/json' }).catch((e: Error) => e);
    // Assess
    expect(back?.toString()).toBe('{"a":1}');
    expect(peer.objects.get(`/reports/${key}`)!.headers['x-amz-checksum-sha256']).toBe(createHash('sha256').update('{"a":1}').digest('base64'));
    expect(String((error as Error).message)).toContain('SignatureDoesNotMatch');
    await peer.close();
  });
});

describe('Secrets Manager (webhook secrets)', () => {
  it('reads and caches the secrets list, and parses its forms', async () => {
    // Prepare: only Date is faked (the cache's clock); timers and the network stay real.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const peer = await startFakeSecretsManager({ 'kreports/webhook-secrets': '{"secrets":["current","previous"]}' });
    const read = cachedSecretString('kreports/webhook-secrets', { client: secretsManagerClient({ ...fast, endpoint: peer.url }), ttlMs: 1000 });
    // Act
    const first = parseWebhookSecrets(await read());
    await read();
    vi.setSystemTime(Date.now() + 2000);
    await read();
    vi.useRealTimers();
    // Assess
    expect(first).toEqual(['current', 'previous']);
    expect(peer.requests).toHaveLength(2);
    expect(peer.requests[0]!.headers['x-amz-target']).toBe('secretsmanager.GetSecretValue');
    expect(peer.requests[0]!.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(parseWebhookSecrets(' a , b ')).toEqual(['a', 'b']);
    expect(parseWebhookSecrets('["x"]')).toEqual(['x']);
    await peer.close();
  });
});

describe('Secrets Manager (webhook secrets) gone wrong', () => {
  it('a webhook secrets value that is not valid JSON answers 503 and its text reaches no log line', async () => {
    // Prepare: an operator forgot the quotes; V8's JSON.parse message would quote the secret.
    const peer = await startFakeSecretsManager({ 'kreports/webhook-secrets': '{"secrets": [leakysecret0123456789]}' });
    const read = cachedSecretString('kreports/webhook-secrets', { client: secretsManagerClient({ ...fast, endpoint: peer.url }) });
    const logger = createMemoryLogger('receiver');
    const receiver = createReceiver({ config: testConfig(), partnerId: 4242, secrets: async () => parseWebhookSecrets(await read()), queue: new RecordingJobQueue(), archive: new MemoryBlobStore(), idempotency: memoryIdempotencyStore(), logger });
    // Act
    const response = await receiver.handle(signedRequest(JSON.stringify(notificationJson()), { secret: 'leakysecret0123456789' }));
    // Assess
    expect(response.status).toBe(503);
    expect(logger.lines.join('\n')).toContain('Webhook secrets unavailable');
    expect(logger.lines.join('\n')).not.toMatch(/leaky|0123456789/);
    expect(() => parseWebhookSecrets('[oops-secret-value]')).toThrow(/not valid JSON/);
    expect(() => parseWebhookSecrets('[oops-secret-value]')).not.toThrow(/oops/);
    await peer.close();
  });
});
