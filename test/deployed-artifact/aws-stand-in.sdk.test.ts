/**
 * The AWS SDK v3 clients the functions use, against the stand-in: what they send is understood,
 * what it answers is what they parse (including the SQS client's MD5 checks of bodies and message
 * attributes, and errors by their modelled names).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, GetQueueAttributesCommand, QueueDoesNotExist, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NotFoundException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { startAwsStandIn, type AwsStandIn } from './aws-stand-in.js';

const CREDENTIALS = { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'stand/in+secret', sessionToken: 'token' };
const REGION = 'eu-west-1';
let aws: AwsStandIn;
let sqs: SQSClient;
let sns: SNSClient;

beforeAll(async () => {
  aws = await startAwsStandIn({ credentials: CREDENTIALS, region: REGION });
  sqs = new SQSClient({ region: REGION, endpoint: aws.url, credentials: CREDENTIALS, maxAttempts: 1 });
  sns = new SNSClient({ region: REGION, endpoint: aws.url, credentials: CREDENTIALS, maxAttempts: 1 });
});
afterAll(async () => {
  sqs.destroy();
  sns.destroy();
  await aws.close();
});

describe('SQS client (JSON protocol)', () => {
  it('sends a batch with attributes and receives it back; the client accepts the MD5s', async () => {
    // Prepare
    const { url } = aws.createQueue('sdk-jobs');
    // Act
    const sent = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', MessageBody: '{"job":1}', MessageAttributes: { kind: { DataType: 'String', StringValue: 'export' }, attempts: { DataType: 'Number', StringValue: '2' } } }, { Id: 'b', MessageBody: 'ü plain', DelaySeconds: 0 }] }));
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }));
    // Assess
    expect(sent.Successful?.map((s) => s.Id)).toEqual(['a', 'b']);
    expect(sent.Failed ?? []).toEqual([]);
    expect(received.Messages?.map((m) => m.Body)).toEqual(['{"job":1}', 'ü plain']);
    expect(received.Messages?.[0]?.MessageAttributes?.kind).toEqual({ DataType: 'String', StringValue: 'export' });
    expect(received.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
  });

  it('deletes by receipt handle, changes visibility, and reports queue attributes', async () => {
    // Prepare
    const { url, arn } = aws.createQueue('sdk-visibility');
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'one' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'two' }));
    const [first, second] = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }))).Messages!;
    // Act
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first!.ReceiptHandle }));
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: second!.ReceiptHandle, VisibilityTimeout: 0 }));
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    // Assess
    expect(attributes.Attributes).toMatchObject({ QueueArn: arn, ApproximateNumberOfMessages: '1' });
    expect(aws.queue(url)!.messages.map((m) => m.body)).toEqual(['two']);
  });

  it('an unknown queue is the modelled QueueDoesNotExist error', async () => {
    // Act / Assess
    const error = await sqs.send(new SendMessageCommand({ QueueUrl: `${aws.url}/111122223333/missing`, MessageBody: 'x' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueDoesNotExist);
    expect(error).toMatchObject({ $metadata: { httpStatusCode: 400 } });
  });
});

describe('SNS client', () => {
  it('publishes with attributes; the client reads the MessageId', async () => {
    // Prepare
    const topicArn = aws.topicArn('operator');
    // Act
    const out = await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: 'Alert: plays', Message: 'no plays for 1_abc', MessageAttributes: { severity: { DataType: 'String', StringValue: 'warning' } } }));
    // Assess
    expect(out.MessageId).toBe(aws.published.at(-1)!.messageId);
    expect(aws.published.at(-1)).toMatchObject({ topicArn, subject: 'Alert: plays', message: 'no plays for 1_abc', attributes: { severity: { DataType: 'String', StringValue: 'warning' } } });
  });

  it('a topic that does not exist is the modelled NotFound error', async () => {
    // Act / Assess
    const error = await sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:eu-west-1:999999999999:nope', Message: 'x' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundException);
  });
});

describe('IAM checks (authorize)', () => {
  it('refuses with each service\'s access-denied error, and records what was refused', async () => {
    // Prepare: only the caller with session token "allowed" may do anything.
    const guarded = await startAwsStandIn({ credentials: CREDENTIALS, region: REGION, authorize: ({ principal }) => principal === 'allowed' });
    const as = (sessionToken: string) => ({ region: REGION, endpoint: guarded.url, credentials: { ...CREDENTIALS, sessionToken }, maxAttempts: 1 });
    const { url, arn } = guarded.createQueue('guarded');
    try {
      // Act
      const allowed = await new SQSClient(as('allowed')).send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'ok' }));
      const sqsError = await new SQSClient(as('intruder')).send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: '1', MessageBody: 'no' }] })).catch((e: unknown) => e);
      const snsError = await new SNSClient(as('intruder')).send(new PublishCommand({ TopicArn: guarded.topicArn('t'), Message: 'no' })).catch((e: unknown) => e);
      // Assess
      expect(allowed.MessageId).toBeDefined();
      expect(sqsError).toMatchObject({ name: expect.stringMatching(/AccessDenied/), $metadata: { httpStatusCode: 403 } });
      expect(snsError).toMatchObject({ name: expect.stringMatching(/AuthorizationError/), $metadata: { httpStatusCode: 403 } });
      expect(guarded.denied).toEqual([
        { principal: 'intruder', action: 'sqs:SendMessage', resource: arn },
        { principal: 'intruder', action: 'sns:Publish', resource: guarded.topicArn('t') },
      ]);
      expect(guarded.queue(url)!.messages.map((m) => m.body)).toEqual(['ok']);
    } finally {
      await guarded.close();
    }
  });
});

