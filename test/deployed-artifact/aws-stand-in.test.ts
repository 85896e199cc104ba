/**
 * The AWS stand-in answers in the shapes real AWS answers: the SDK's own clients read its answers
 * (Secrets Manager here), the query protocol gets the XML bodies and error documents the SDKs
 * parse, the JSON protocol the `__type` and `x-amzn-query-error` headers, and a request signed with
 * other credentials is refused.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SignatureV4 } from '@smithy/signature-v4';
import { md5OfMessageAttributes, startAwsStandIn, type AwsStandIn } from './aws-stand-in.js';
import { Sha256 } from './local-deployment.js';

const CREDENTIALS = { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'stand/in+secret', sessionToken: 'token' };
const REGION = 'eu-west-1';
let aws: AwsStandIn;


/** A SigV4-signed POST, as an SDK sends it (independent of the stand-in's checking code). */
async function signedPost(service: string, headers: Record<string, string>, body: string, credentials = CREDENTIALS): Promise<{ status: number; headers: Headers; text: string }> {
  const url = new URL(aws.url);
  const signer = new SignatureV4({ credentials, region: REGION, service, sha256: Sha256 as never });
  const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', headers: { host: url.host, ...headers }, body } as never);
  const res = await fetch(aws.url, { method: 'POST', headers: (signed as unknown as { headers: Record<string, string> }).headers, body });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const form = (params: Record<string, string>) => ({ headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: new URLSearchParams(params).toString() });
const sqsJson = (op: string, input: unknown) => signedPost('sqs', { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${op}`, 'x-amzn-query-mode': 'true' }, JSON.stringify(input));

beforeAll(async () => {
  aws = await startAwsStandIn({ credentials: CREDENTIALS, region: REGION });
});
afterAll(async () => {
  await aws.close();
});

describe('Secrets Manager (JSON 1.1), read by the SDK client', () => {
  const client = () => new SecretsManagerClient({ region: REGION, endpoint: aws.url, credentials: CREDENTIALS });

  it('returns the secret string by name and by ARN', async () => {
    // Prepare
    const { arn } = aws.putSecret('app/kaltura', '{"adminSecret":"x"}');
    // Act
    const byName = await client().send(new GetSecretValueCommand({ SecretId: 'app/kaltura' }));
    const byArn = await client().send(new GetSecretValueCommand({ SecretId: arn }));
    // Assess
    expect(byName).toMatchObject({ Name: 'app/kaltura', ARN: arn, SecretString: '{"adminSecret":"x"}', VersionStages: ['AWSCURRENT'] });
    expect(byName.CreatedDate).toBeInstanceOf(Date);
    expect(byArn.SecretString).toBe('{"adminSecret":"x"}');
  });

  it('answers an unknown secret with ResourceNotFoundException, and a request signed with other keys with InvalidSignatureException', async () => {
    // Act / Assess
    await expect(client().send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } });
    const impostor = new SecretsManagerClient({ region: REGION, endpoint: aws.url, credentials: { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'wrong' }, maxAttempts: 1 });
    const rejectedBefore = aws.rejectedSignatures;
    await expect(impostor.send(new GetSecretValueCommand({ SecretId: 'app/kaltura' }))).rejects.toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 } });
    expect(aws.rejectedSignatures).toBe(rejectedBefore + 1);
  });
});

describe('SQS', () => {
  it('JSON protocol: SendMessageBatch stores the entries and answers the body and attribute MD5s', async () => {
    // Prepare
    const { url } = aws.createQueue('json-queue');
    const attributes = { kind: { DataType: 'String', StringValue: 'export' } };
    // Act
    const res = await sqsJson('SendMessageBatch', { QueueUrl: url, Entries: [{ Id: 'a', MessageBody: 'hello', MessageAttributes: attributes }] });
    // Assess
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ Successful: [{ Id: 'a', MessageId: expect.any(String), MD5OfMessageBody: createHash('md5').update('hello').digest('hex'), MD5OfMessageAttributes: md5OfMessageAttributes(attributes) }], Failed: [] });
    expect(aws.queue(url)!.messages.map((m) => m.body)).toEqual(['hello']);
  });

  it('JSON protocol: an unknown queue is QueueDoesNotExist with the query-compatible error header', async () => {
    // Act
    const res = await sqsJson('SendMessage', { QueueUrl: `${aws.url}/111122223333/missing`, MessageBody: 'x' });
    // Assess
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ __type: 'com.amazonaws.sqs#QueueDoesNotExist' });
    expect(res.headers.get('x-amzn-query-error')).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
  });

  it('query protocol: SendMessageBatch and ReceiveMessage answer the XML the SDKs parse', async () => {
    // Prepare
    const { url } = aws.createQueue('query-queue');
    // Act
    const sent = form({ Action: 'SendMessageBatch', Version: '2012-11-05', QueueUrl: url, 'SendMessageBatchRequestEntry.1.Id': 'one', 'SendMessageBatchRequestEntry.1.MessageBody': 'a & b', 'SendMessageBatchRequestEntry.1.MessageAttribute.1.Name': 'kind', 'SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType': 'String', 'SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue': 'check' });
    const sendRes = await signedPost('sqs', sent.headers, sent.body);
    const recv = form({ Action: 'ReceiveMessage', Version: '2012-11-05', QueueUrl: url, MaxNumberOfMessages: '10' });
    const recvRes = await signedPost('sqs', recv.headers, recv.body);
    // Assess
    expect(sendRes.status).toBe(200);
    expect(sendRes.text).toMatch(/^<\?xml version="1.0"\?><SendMessageBatchResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/"><SendMessageBatchResult><SendMessageBatchResultEntry><Id>one<\/Id><MessageId>[^<]+<\/MessageId><MD5OfMessageBody>[0-9a-f]{32}<\/MD5OfMessageBody>/);
    expect(recvRes.text).toContain('<Body>a &amp; b</Body>');
    expect(recvRes.text).toContain('<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>');
    expect(recvRes.text).toContain('<MessageAttribute><Name>kind</Name><Value><DataType>String</DataType><StringValue>check</StringValue></Value></MessageAttribute>');
    expect(aws.queue(url)!.messages[0]!.attributes).toEqual({ kind: { DataType: 'String', StringValue: 'check' } });
  });

  it('query protocol: an unknown queue is an ErrorResponse document', async () => {
    // Act
    const f = form({ Action: 'SendMessage', QueueUrl: `${aws.url}/111122223333/missing`, MessageBody: 'x' });
    const res = await signedPost('sqs', f.headers, f.body);
    // Assess
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/<ErrorResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/"><Error><Type>Sender<\/Type><Code>AWS.SimpleQueueService.NonExistentQueue<\/Code><Message>The specified queue does not exist.<\/Message>/);
  });

  it('receiveAsEvent gives Lambda SQS records and counts receives', () => {
    // Prepare
    const { url, arn } = aws.createQueue('event-queue');
    aws.send(url, '{"a":1}', { kind: { DataType: 'String', StringValue: 'export' } });
    // Act
    const { Records } = aws.receiveAsEvent(url);
    // Assess
    expect(Records).toEqual([
      {
        messageId: expect.any(String),
        receiptHandle: expect.any(String),
        body: '{"a":1}',
        attributes: expect.objectContaining({ ApproximateReceiveCount: '1', SentTimestamp: expect.stringMatching(/^\d+$/) }),
        messageAttributes: { kind: { stringValue: 'export', stringListValues: [], binaryListValues: [], dataType: 'String' } },
        md5OfBody: createHash('md5').update('{"a":1}').digest('hex'),
        eventSource: 'aws:sqs',
        eventSourceARN: arn,
        awsRegion: REGION,
      },
    ]);
    expect(aws.receiveAsEvent(url).Records).toEqual([]); // in flight now
  });
});

describe('SNS (query protocol)', () => {
  it('Publish answers PublishResponse with a MessageId and keeps the message and its attributes', async () => {
    // Prepare
    const topicArn = aws.topicArn('operator');
    const f = form({ Action: 'Publish', Version: '2010-03-31', TopicArn: topicArn, Message: 'disk full', Subject: 'alert', 'MessageAttributes.entry.1.Name': 'severity', 'MessageAttributes.entry.1.Value.DataType': 'String', 'MessageAttributes.entry.1.Value.StringValue': 'critical' });
    // Act
    const res = await signedPost('sns', f.headers, f.body);
    // Assess
    expect(res.status).toBe(200);
    const messageId = /<PublishResponse xmlns="http:\/\/sns.amazonaws.com\/doc\/2010-03-31\/"><PublishResult><MessageId>([^<]+)<\/MessageId><\/PublishResult><ResponseMetadata><RequestId>[^<]+<\/RequestId><\/ResponseMetadata><\/PublishResponse>$/.exec(res.text)?.[1];
    expect(messageId).toBeDefined();
    expect(aws.published.at(-1)).toEqual({ topicArn, message: 'disk full', subject: 'alert', attributes: { severity: { DataType: 'String', StringValue: 'critical' } }, messageId });
  });

  it('Publish to a topic of another account is NotFound', async () => {
    // Act
    const f = form({ Action: 'Publish', TopicArn: 'arn:aws:sns:eu-west-1:999999999999:other', Message: 'x' });
    const res = await signedPost('sns', f.headers, f.body);
    // Assess
    expect(res.status).toBe(404);
    expect(res.text).toContain('<Code>NotFound</Code>');
  });
});
