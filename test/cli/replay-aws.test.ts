/**
 * `kreports replay --aws` through the bin, against a loopback stand-in for SQS that checks the
 * SigV4 signature (the SDK's own signer), the X-Amz-Target and the ARNs it is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJsonPeer, TEST_CREDENTIALS, type JsonPeer } from '../receiver/aws-peers.js';
import { runCli } from './helpers.js';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const EXPORT_DLQ = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/KalturaReporting-ExportDLQ`;
const EXPORT_QUEUE = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/KalturaReporting-ExportQueue`;
const CHECK_DLQ = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/KalturaReporting-CheckDLQ`;
/** A DLQ the stand-in refuses, as SQS does while a move task is already running on it. */
const BUSY_DLQ = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/busy-dlq`;

let sqs: JsonPeer;
const calls: Array<{ op: string; input: Record<string, unknown> }> = [];

beforeAll(async () => {
  sqs = await startJsonPeer(
    'sqs',
    (op, input) => {
      calls.push({ op, input });
      if (op === 'StartMessageMoveTask') {
        if (input.SourceArn === `arn:aws:sqs:${REGION}:${ACCOUNT}:busy-dlq`) {
          return { status: 400, body: { __type: 'com.amazonaws.sqs#UnsupportedOperation', message: 'There is already a task running. Only one active task is allowed for each source queue arn at a given time.' } };
        }
        return { status: 200, body: { TaskHandle: `handle-for-${String(input.SourceArn)}` } };
      }
      if (op === 'GetQueueAttributes') return { status: 200, body: { Attributes: { ApproximateNumberOfMessages: '7', ApproximateNumberOfMessagesNotVisible: '0' } } };
      return { status: 400, body: { __type: 'com.amazonaws.sqs#InvalidAction', message: op } };
    },
    REGION,
  );
});
afterAll(async () => {
  await sqs.close();
});

/** Every AWS variable the CLI reads is set here (runCli inherits the rest of the parent's environment). */
function awsEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: TEST_CREDENTIALS.sessionToken,
    AWS_REGION: 'us-east-1', // the DLQ URL's region wins: SQS signs per region
    AWS_ENDPOINT_URL_SQS: sqs.url,
    ...extra,
  };
}

function lastCall(op: string): { op: string; input: Record<string, unknown> } | undefined {
  return calls.filter((c) => c.op === op).at(-1);
}

describe('kreports replay --aws', () => {
  it('starts a move task on the kind\'s dead-letter queue named by its environment variable, back to the source queue', async () => {
    const result = await runCli(['replay', '--aws', '--kind', 'export', '--json'], awsEnv({ EXPORT_DLQ_URL: EXPORT_DLQ }));

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const req = sqs.requests.filter((r) => r.headers['x-amz-target'] === 'AmazonSQS.StartMessageMoveTask').at(-1);
    expect(req?.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(lastCall('StartMessageMoveTask')?.input).toEqual({ SourceArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:KalturaReporting-ExportDLQ` });
    expect(sqs.rejectedSignatures).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ kind: 'export', sourceArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:KalturaReporting-ExportDLQ`, destinationArn: null, taskHandle: `handle-for-arn:aws:sqs:${REGION}:${ACCOUNT}:KalturaReporting-ExportDLQ` });
  });

  it('takes --dlq-url over the environment and sends the job queue as destination when its URL is known', async () => {
    const result = await runCli(['replay', '--aws', '--kind', 'check', '--dlq-url', CHECK_DLQ, '--queue-url', EXPORT_QUEUE], awsEnv({ CHECK_DLQ_URL: EXPORT_DLQ }));

    expect(result.code).toBe(0);
    expect(lastCall('StartMessageMoveTask')?.input).toEqual({
      SourceArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:KalturaReporting-CheckDLQ`,
      DestinationArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:KalturaReporting-ExportQueue`,
    });
    expect(result.stdout).toMatch(/moving the check dead letters from arn:aws:sqs:eu-west-1:123456789012:KalturaReporting-CheckDLQ to arn:aws:sqs:eu-west-1:123456789012:KalturaReporting-ExportQueue/);
  });

  it('shows how many messages wait with --list', async () => {
    const result = await runCli(['replay', '--aws', '--list', '--kind', 'export', '--json'], awsEnv({ EXPORT_DLQ_URL: EXPORT_DLQ }));

    expect(result.code).toBe(0);
    expect(lastCall('GetQueueAttributes')?.input).toMatchObject({ QueueUrl: EXPORT_DLQ });
    expect(JSON.parse(result.stdout)).toMatchObject({ kind: 'export', approximateNumberOfMessages: 7 });
  });

  it('exits 1 with one line when SQS refuses', async () => {
    const result = await runCli(['replay', '--aws', '--kind', 'export', '--dlq-url', BUSY_DLQ], awsEnv());

    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/StartMessageMoveTask failed: UnsupportedOperation/);
    expect(result.stdout).toBe('');
  });

  it('exits 2 with one line for usage errors, before calling AWS', async () => {
    const before = sqs.requests.length;
    const noKind = await runCli(['replay', '--aws'], awsEnv({ EXPORT_DLQ_URL: EXPORT_DLQ }));
    const noUrl = await runCli(['replay', '--aws', '--kind', 'live-health'], awsEnv());
    const badUrl = await runCli(['replay', '--aws', '--kind', 'export', '--dlq-url', 'https://example.com/not-a-queue'], awsEnv());
    const noCredentials = await runCli(['replay', '--aws', '--kind', 'export'], awsEnv({ EXPORT_DLQ_URL: EXPORT_DLQ, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' }));
    const dlqWithoutAws = await runCli(['replay', '--kind', 'export', '--all', '--dlq-url', EXPORT_DLQ], awsEnv());

    for (const r of [noKind, noUrl, badUrl, noCredentials, dlqWithoutAws]) {
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(noKind.stderr).toMatch(/--aws needs --kind/);
    expect(noUrl.stderr).toMatch(/LIVE_HEALTH_DLQ_URL/);
    expect(noCredentials.stderr).toMatch(/AWS_ACCESS_KEY_ID/);
    expect(sqs.requests.length).toBe(before);
  });
});
