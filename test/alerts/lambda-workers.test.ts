/**
 * The worker Lambdas as deployed: an SQS event into `functions/*-worker/index.ts`, with the AWS
 * services played by one loopback server speaking their JSON protocols (SQS, DynamoDB, Secrets
 * Manager) and Kaltura played by the simulator. Shows the wiring, not AWS itself.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { jobFor, checkSpec, liveSpec, record, startFakeSlack, tempDir, type FakeServer } from './helpers.js';

interface FakeAws {
  readonly url: string;
  readonly sqs: Array<{ QueueUrl: string; Entries: Array<{ MessageBody: string; DelaySeconds?: number; MessageAttributes?: Record<string, { StringValue: string }> }> }>;
  readonly items: Map<string, Record<string, { S?: string; N?: string }>>;
  readonly secrets: Record<string, string>;
  close(): Promise<void>;
}

async function startFakeAws(secrets: Record<string, string>): Promise<FakeAws> {
  const sqs: FakeAws['sqs'] = [];
  const items: FakeAws['items'] = new Map();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(body));
      };
      if (target === 'AmazonSQS.SendMessageBatch') {
        sqs.push(input as FakeAws['sqs'][number]);
        // As SQS answers: the MD5 of each body, which the SDK checks against what it sent.
        return reply(200, { Successful: (input.Entries as Array<{ Id: string; MessageBody: string }>).map((e) => ({ Id: e.Id, MessageId: e.Id, MD5OfMessageBody: createHash('md5').update(e.MessageBody).digest('hex') })), Failed: [] });
      }
      if (target === 'DynamoDB_20120810.GetItem') {
        const key = (input.Key as { pk: { S: string } }).pk.S;
        return reply(200, items.has(key) ? { Item: items.get(key) } : {});
      }
      if (target === 'DynamoDB_20120810.PutItem') {
        const item = input.Item as Record<string, { S?: string; N?: string }>;
        const existing = items.get(item.pk!.S!);
        const expected = (input.ExpressionAttributeValues as Record<string, { N: string }> | undefined)?.[':expected']?.N;
        const ok = input.ConditionExpression === 'attribute_not_exists(pk)' ? !existing : existing?.version?.N === expected;
        if (!ok) return reply(400, { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'The conditional request failed' });
        items.set(item.pk!.S!, item);
        return reply(200, {});
      }
      if (target === 'secretsmanager.GetSecretValue') {
        const id = String(input.SecretId);
        if (!(id in secrets)) return reply(400, { __type: 'ResourceNotFoundException', message: 'not found' });
        return reply(200, { ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${id}`, Name: id, SecretString: secrets[id], VersionId: 'v1' });
      }
      return reply(400, { __type: 'UnknownOperationException', message: target });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, sqs, items, secrets, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let sim: Simulator;
let aws: FakeAws;
let slack: FakeServer;

beforeAll(async () => {
  sim = await startSimulator();
  slack = await startFakeSlack();
  aws = await startFakeAws({
    'kaltura-credentials': JSON.stringify({ adminSecret: sim.adminSecret }),
    'slack-webhook': slack.url,
  });
  const dir = await tempDir('lambda-');
  const configPath = join(dir, 'reporting-config.json');
  await writeFile(
    configPath,
    JSON.stringify({ version: 1, kaltura: { timezone: 'America/New_York', kmcUrl: 'https://kmc.example.com' }, destinations: { slack: { type: 'slack', url: { secret: 'slack-webhook' } } } }),
  );
  const queue = (name: string) => `${aws.url}/123456789012/${name}`;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: aws.url,
    REPORTING_CONFIG_PATH: configPath,
    CHECK_QUEUE_URL: queue('check'),
    EXPORT_QUEUE_URL: queue('export'),
    MICROSERVICE_QUEUE_URL: queue('microservice'),
    LIVE_HEALTH_QUEUE_URL: queue('live-health'),
    CHECK_DLQ_URL: queue('check-dlq'),
    EXPORT_DLQ_URL: queue('export-dlq'),
    MICROSERVICE_DLQ_URL: queue('microservice-dlq'),
    LIVE_HEALTH_DLQ_URL: queue('live-health-dlq'),
    BUCKET_NAME: 'bucket',
    STATE_TABLE_NAME: 'state',
    OPERATOR_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:operator',
    KALTURA_SERVICE_URL: sim.serviceUrl,
    KALTURA_PARTNER_ID: String(sim.partnerId),
    KALTURA_CREDENTIALS_SECRET: 'kaltura-credentials',
    WEBHOOK_SECRETS_SECRET: 'webhook-secrets',
    LOG_LEVEL: 'error',
  });
});
afterAll(async () => {
  await Promise.all([sim.close(), aws.close(), slack.close()]);
});

describe('worker Lambdas', () => {
  it('check worker: a quiet entry alerts to Slack once, state in DynamoDB, invalid messages dead-lettered with the reason', async () => {
    const { handler } = await import('../../functions/check-worker/index.js');
    const message = jobFor(checkSpec({ destinations: ['slack'] }), '0_quiet_lambda', { entryName: 'Quiet in Lambda' });
    const response = await handler({ Records: [record(message, 'a'), { messageId: 'b', body: '{"not":"a job"}' }] });
    expect(response.batchItemFailures).toEqual([]);
    expect(slack.requests).toHaveLength(1);
    expect(slack.requests[0]!.json<{ text: string }>().text).toContain('Quiet in Lambda');
    // Same job again (SQS redelivery): no second alert.
    await handler({ Records: [record(message, 'c', 2)] });
    expect(slack.requests).toHaveLength(1);
    expect([...aws.items.keys()]).toContain('state#alert#entry-ready#low-engagement#entry:0_quiet_lambda');
    const dlq = aws.sqs.filter((s) => s.QueueUrl.endsWith('/check-dlq'));
    expect(dlq).toHaveLength(1);
    expect(JSON.stringify(dlq[0]!.Entries[0]!.MessageAttributes)).toContain('Invalid job message');
  });

  it('check worker: two concurrent deliveries of one subject send one alert (conditional writes in DynamoDB)', async () => {
    const { handler } = await import('../../functions/check-worker/index.js');
    const message = jobFor(checkSpec({ destinations: ['slack'] }), '0_quiet_lambda_race');
    const before = slack.requests.length;
    await Promise.all([handler({ Records: [record(message, 'x')] }), handler({ Records: [record(message, 'y')] }), handler({ Records: [record(message, 'z')] })]);
    expect(slack.requests.length - before).toBe(1);
  });

  it('live-health worker: re-enqueues the watch with a 10 s SQS delay', async () => {
    const { handler } = await import('../../functions/live-health-worker/index.js');
    const message = jobFor(liveSpec({ destinations: ['slack'] }), '1_unhealthy_lambda', { rule: 'live-stream', at: new Date() });
    const before = slack.requests.length;
    const response = await handler({ Records: [record(message)] });
    expect(response.batchItemFailures).toEqual([]);
    const sent = aws.sqs.filter((s) => s.QueueUrl.endsWith('/live-health'));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.Entries[0]!.DelaySeconds).toBe(10);
    expect(JSON.parse(sent[0]!.Entries[0]!.MessageBody).progress.polls).toBe(1);
    expect(slack.requests.length - before).toBe(1);
    expect(slack.requests.at(-1)!.json<{ text: string }>().text).toContain('primary stream');
  });
});
