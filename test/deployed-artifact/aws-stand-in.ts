/**
 * One loopback HTTP server standing in for SQS, SNS and Secrets Manager, speaking the wire protocols
 * the AWS SDK v3 (and the project's own clients) send, so a deployed bundle can run against it
 * unchanged with only `AWS_ENDPOINT_URL_<SERVICE>` pointing here:
 *
 * - SQS: JSON 1.0 (`X-Amz-Target: AmazonSQS.<Op>`, what SDK v3 sends today) and the older query
 *   protocol (form POST `Action=<Op>`, XML answers). Queues are keyed by the path of their URL, so
 *   `https://sqs.eu-west-1.amazonaws.com/111122223333/jobs` and `<stand-in>/111122223333/jobs` are
 *   the same queue. Errors in the real shapes: `__type` plus `x-amzn-query-error` (the SDK's
 *   query-compatible mode reads the code from it), or `<ErrorResponse>` for the query protocol.
 * - SNS: query protocol `Action=Publish` answered with the real `PublishResponse` XML (and the JSON
 *   protocol, should a client send `X-Amz-Target: AmazonSimpleNotificationService.Publish`).
 * - Secrets Manager: JSON 1.1 `secretsmanager.GetSecretValue` by name or ARN.
 *
 * The service of a request is the one its SigV4 credential scope names, and every signature is
 * recomputed with the SDK's own signer (`sdkSignatureMatches`, test/receiver/aws-peers.ts) and
 * refused when it does not match, as AWS would: a bundle that signs for the wrong region, service
 * or body fails here too.
 *
 * With `authorize`, every call is also checked as IAM would check it — the caller (its session
 * token, which is how Lambda's role credentials differ) may do the action (`sqs:SendMessage`,
 * `sns:Publish`, `secretsmanager:GetSecretValue`...) on the resource's ARN — and refused with the
 * service's real access-denied error otherwise.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sdkSignatureMatches, type ReceivedRequest } from '../receiver/aws-peers.js';

export interface StandInCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** A message attribute as SQS stores it (JSON-protocol shape). */
export interface SqsAttributeValue {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

export interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly attributes: Readonly<Record<string, SqsAttributeValue>>;
  readonly sentAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  receiptHandle?: string;
  /** Epoch ms before which the message is not delivered (DelaySeconds, visibility timeout). */
  visibleAt: number;
}

export interface StandInQueue {
  /** Path of the queue URL, e.g. `/111122223333/ExportJobsQueue`. */
  readonly path: string;
  readonly name: string;
  readonly messages: StoredMessage[];
}

/** A message as a Lambda SQS event record carries it. */
export interface SqsEventRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: Record<string, string>;
  readonly messageAttributes: Record<string, { stringValue?: string; binaryValue?: string; stringListValues: string[]; binaryListValues: string[]; dataType: string }>;
  readonly md5OfBody: string;
  readonly eventSource: 'aws:sqs';
  readonly eventSourceARN: string;
  readonly awsRegion: string;
}

export interface PublishedSns {
  readonly topicArn: string;
  readonly message: string;
  readonly subject?: string;
  readonly attributes: Record<string, SqsAttributeValue>;
  readonly messageId: string;
}

/** One call as IAM sees it. */
export interface AuthorizationRequest {
  /** The caller's session token (Lambda: one per execution role). */
  readonly principal: string | undefined;
  /** e.g. `sqs:SendMessage` (batch operations are authorised as their single action, as in IAM). */
  readonly action: string;
  /** The ARN of the queue, topic or secret. */
  readonly resource: string;
}

export interface AwsStandIn {
  /** Endpoint for every `AWS_ENDPOINT_URL_<SERVICE>` it stands for. */
  readonly url: string;
  readonly region: string;
  readonly accountId: string;
  /** Every request, in order, with the service its signature named. */
  readonly requests: Array<ReceivedRequest & { service: string; operation: string; protocol: 'json' | 'query' }>;
  /** Requests refused for a signature that did not match. */
  readonly rejectedSignatures: number;
  /** Calls `authorize` refused. */
  readonly denied: AuthorizationRequest[];
  readonly published: PublishedSns[];
  /** Creates (or returns) the queue `name`; its URL points at this stand-in. */
  createQueue(name: string): { url: string; arn: string };
  queue(urlOrPath: string): StandInQueue | undefined;
  /** SendMessage from the test side (e.g. a poison message no producer of ours would send). */
  send(queueUrl: string, body: string, attributes?: Record<string, SqsAttributeValue>): StoredMessage;
  /** What a Lambda event source mapping does: receive up to `max` visible messages as SQS event records. */
  receiveAsEvent(queueUrl: string, max?: number): { Records: SqsEventRecord[] };
  /** Puts a secret (name; its ARN is accepted as SecretId too). */
  putSecret(name: string, value: string): { arn: string };
  secretArn(name: string): string;
  topicArn(name: string): string;
  close(): Promise<void>;
}

const QUEUE_NS = 'http://queue.amazonaws.com/doc/2012-11-05/';
const SNS_NS = 'http://sns.amazonaws.com/doc/2010-03-31/';

class AwsFault extends Error {
  constructor(
    readonly status: number,
    /** JSON-protocol `__type` (shape id). */
    readonly type: string,
    /** Query-protocol code (also `x-amzn-query-error` for SQS). */
    readonly queryCode: string,
    message: string,
    readonly fault: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

/** MD5 of message attributes as SQS computes it (the SDK may check it against its own). */
export function md5OfMessageAttributes(attributes: Readonly<Record<string, SqsAttributeValue>>): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  const lengthPrefixed = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    parts.push(len, b);
  };
  for (const name of names) {
    const v = attributes[name]!;
    lengthPrefixed(Buffer.from(name, 'utf8'));
    lengthPrefixed(Buffer.from(v.DataType, 'utf8'));
    if (v.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      lengthPrefixed(Buffer.from(v.BinaryValue, 'base64'));
    } else {
      parts.push(Buffer.from([1]));
      lengthPrefixed(Buffer.from(v.StringValue ?? '', 'utf8'));
    }
  }
  return md5(Buffer.concat(parts));
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** `{a: 'x', b: [{c: 'y'}]}` -> `<a>x</a><b><c>y</c></b>`; arrays repeat their element name. */
function toXml(value: Record<string, unknown>): string {
  let out = '';
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const items = Array.isArray(v) ? v : [v];
    for (const item of items) out += `<${k}>${typeof item === 'object' && item !== null ? toXml(item as Record<string, unknown>) : xmlEscape(String(item))}</${k}>`;
  }
  return out;
}

/** Query-protocol params -> the JSON-protocol input of the same operation (the part the stand-in reads). */
function queryToJsonInput(form: URLSearchParams): Record<string, unknown> {
  const get = (k: string) => form.get(k) ?? undefined;
  const attributesAt = (prefix: string): Record<string, SqsAttributeValue> => {
    const out: Record<string, SqsAttributeValue> = {};
    for (let i = 1; form.has(`${prefix}.${i}.Name`); i++) {
      const p = `${prefix}.${i}`;
      out[form.get(`${p}.Name`)!] = {
        DataType: form.get(`${p}.Value.DataType`) ?? 'String',
        ...(form.has(`${p}.Value.StringValue`) ? { StringValue: form.get(`${p}.Value.StringValue`)! } : {}),
        ...(form.has(`${p}.Value.BinaryValue`) ? { BinaryValue: form.get(`${p}.Value.BinaryValue`)! } : {}),
      };
    }
    return out;
  };
  const listAt = (prefix: string): string[] => {
    const out: string[] = [];
    for (let i = 1; form.has(`${prefix}.${i}`); i++) out.push(form.get(`${prefix}.${i}`)!);
    return out;
  };
  const input: Record<string, unknown> = {
    QueueUrl: get('QueueUrl'),
    MessageBody: get('MessageBody'),
    DelaySeconds: form.has('DelaySeconds') ? Number(form.get('DelaySeconds')) : undefined,
    MessageAttributes: attributesAt('MessageAttribute'),
    MaxNumberOfMessages: form.has('MaxNumberOfMessages') ? Number(form.get('MaxNumberOfMessages')) : undefined,
    VisibilityTimeout: form.has('VisibilityTimeout') ? Number(form.get('VisibilityTimeout')) : undefined,
    ReceiptHandle: get('ReceiptHandle'),
    AttributeNames: listAt('AttributeName'),
    TopicArn: get('TopicArn'),
    Message: get('Message'),
    Subject: get('Subject'),
  };
  const snsAttributes: Record<string, SqsAttributeValue> = {};
  for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
    const p = `MessageAttributes.entry.${i}`;
    snsAttributes[form.get(`${p}.Name`)!] = { DataType: form.get(`${p}.Value.DataType`) ?? 'String', StringValue: form.get(`${p}.Value.StringValue`) ?? '' };
  }
  input.SnsMessageAttributes = snsAttributes;
  const entries: Array<Record<string, unknown>> = [];
  for (const prefix of ['SendMessageBatchRequestEntry', 'DeleteMessageBatchRequestEntry']) {
    for (let i = 1; form.has(`${prefix}.${i}.Id`); i++) {
      const p = `${prefix}.${i}`;
      entries.push({
        Id: form.get(`${p}.Id`),
        MessageBody: form.get(`${p}.MessageBody`) ?? undefined,
        ReceiptHandle: form.get(`${p}.ReceiptHandle`) ?? undefined,
        DelaySeconds: form.has(`${p}.DelaySeconds`) ? Number(form.get(`${p}.DelaySeconds`)) : undefined,
        MessageAttributes: attributesAt(`${p}.MessageAttribute`),
      });
    }
  }
  input.Entries = entries;
  return input;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startAwsStandIn(options: {
  /** Keys requests must be signed with; the session token may differ per caller (see `authorize`). */
  credentials: StandInCredentials;
  region?: string;
  accountId?: string;
  /** IAM: may this caller do this action on this resource? Default: everything is allowed. */
  authorize?: (request: AuthorizationRequest) => boolean;
}): Promise<AwsStandIn> {
  const region = options.region ?? 'eu-west-1';
  const accountId = options.accountId ?? '111122223333';
  const queues = new Map<string, StandInQueue>();
  const secrets = new Map<string, { value: string; arn: string; versionId: string; createdAt: number }>();
  const published: PublishedSns[] = [];
  const requests: AwsStandIn['requests'] = [];
  let rejected = 0;
  const denied: AuthorizationRequest[] = [];
  /** The caller of the request being answered: set just before a (synchronous) operation handler runs. */
  let principal: string | undefined;
  const authorize = (action: string, resource: string, fault: () => AwsFault) => {
    if (!options.authorize) return;
    const request = { principal, action, resource };
    if (options.authorize(request)) return;
    denied.push(request);
    throw fault();
  };
  const sqsDenied = (action: string, resource: string) => () =>
    new AwsFault(403, 'com.amazon.coral.service#AccessDeniedException', 'AccessDenied', `User: ${principal ?? 'anonymous'} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`);
  let origin = '';

  const queuePath = (urlOrPath: string) => (urlOrPath.startsWith('/') ? urlOrPath : new URL(urlOrPath).pathname).replace(/\/+$/, '');
  const queueArn = (q: StandInQueue) => `arn:aws:sqs:${region}:${accountId}:${q.name}`;
  const queueFor = (url: unknown): StandInQueue => {
    const q = typeof url === 'string' && url !== '' ? queues.get(queuePath(url)) : undefined;
    if (!q) throw new AwsFault(400, 'com.amazonaws.sqs#QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
    return q;
  };
  const enqueue = (q: StandInQueue, body: unknown, attributes: unknown, delaySeconds: unknown): StoredMessage => {
    if (typeof body !== 'string' || body === '') throw new AwsFault(400, 'com.amazonaws.sqs#MissingParameter', 'MissingParameter', 'The request must contain the parameter MessageBody.');
    const now = Date.now();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5(body),
      attributes: (attributes ?? {}) as Record<string, SqsAttributeValue>,
      sentAt: now,
      receiveCount: 0,
      visibleAt: now + 1000 * Number(delaySeconds ?? 0),
    };
    q.messages.push(message);
    return message;
  };
  const receive = (q: StandInQueue, max: number, visibilitySeconds: number): StoredMessage[] => {
    const now = Date.now();
    const out: StoredMessage[] = [];
    for (const m of q.messages) {
      if (out.length >= max) break;
      if (m.visibleAt > now) continue;
      m.receiveCount++;
      m.firstReceivedAt ??= now;
      m.receiptHandle = Buffer.from(`${m.messageId}:${randomUUID()}`).toString('base64');
      m.visibleAt = now + visibilitySeconds * 1000;
      out.push(m);
    }
    return out;
  };
  const byReceipt = (q: StandInQueue, handle: unknown) => {
    const i = q.messages.findIndex((m) => m.receiptHandle !== undefined && m.receiptHandle === handle);
    if (i < 0) throw new AwsFault(400, 'com.amazonaws.sqs#ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', `The input receipt handle "${String(handle)}" is not a valid receipt handle.`);
    return i;
  };

  /** SQS operations on JSON-protocol input; answers JSON-protocol output (the query path converts). */
  const sqs = (op: string, input: Record<string, unknown>): Record<string, unknown> => {
    const action = `sqs:${op.replace(/Batch$/, '')}`;
    if (op !== 'GetQueueUrl') {
      const q = queueFor(input.QueueUrl);
      authorize(action, queueArn(q), sqsDenied(action, queueArn(q)));
    }
    switch (op) {
      case 'SendMessage': {
        const m = enqueue(queueFor(input.QueueUrl), input.MessageBody, input.MessageAttributes, input.DelaySeconds);
        const attrMd5 = md5OfMessageAttributes(m.attributes);
        return { MessageId: m.messageId, MD5OfMessageBody: m.md5OfBody, ...(attrMd5 ? { MD5OfMessageAttributes: attrMd5 } : {}) };
      }
      case 'SendMessageBatch': {
        const q = queueFor(input.QueueUrl);
        const entries = (input.Entries ?? []) as Array<Record<string, unknown>>;
        if (entries.length === 0) throw new AwsFault(400, 'com.amazonaws.sqs#EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest', 'There should be at least one SendMessageBatchRequestEntry in the request.');
        if (entries.length > 10) throw new AwsFault(400, 'com.amazonaws.sqs#TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 'Maximum number of entries per request are 10.');
        const Successful = entries.map((e) => {
          const m = enqueue(q, e.MessageBody, e.MessageAttributes, e.DelaySeconds);
          const attrMd5 = md5OfMessageAttributes(m.attributes);
          return { Id: e.Id, MessageId: m.messageId, MD5OfMessageBody: m.md5OfBody, ...(attrMd5 ? { MD5OfMessageAttributes: attrMd5 } : {}) };
        });
        return { Successful, Failed: [] };
      }
      case 'ReceiveMessage': {
        const q = queueFor(input.QueueUrl);
        const Messages = receive(q, Number(input.MaxNumberOfMessages ?? 1), Number(input.VisibilityTimeout ?? 30)).map((m) => {
          const attrMd5 = md5OfMessageAttributes(m.attributes);
          return {
            MessageId: m.messageId,
            ReceiptHandle: m.receiptHandle,
            MD5OfBody: m.md5OfBody,
            Body: m.body,
            Attributes: { ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: String(m.sentAt), ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt) },
            ...(attrMd5 ? { MD5OfMessageAttributes: attrMd5, MessageAttributes: m.attributes } : {}),
          };
        });
        return Messages.length > 0 ? { Messages } : {};
      }
      case 'DeleteMessage': {
        const q = queueFor(input.QueueUrl);
        q.messages.splice(byReceipt(q, input.ReceiptHandle), 1);
        return {};
      }
      case 'DeleteMessageBatch': {
        const q = queueFor(input.QueueUrl);
        const Successful: unknown[] = [];
        const Failed: unknown[] = [];
        for (const e of (input.Entries ?? []) as Array<Record<string, unknown>>) {
          const i = q.messages.findIndex((m) => m.receiptHandle === e.ReceiptHandle);
          if (i < 0) Failed.push({ Id: e.Id, SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'The receipt handle is not valid.' });
          else {
            q.messages.splice(i, 1);
            Successful.push({ Id: e.Id });
          }
        }
        return { Successful, Failed };
      }
      case 'ChangeMessageVisibility': {
        const q = queueFor(input.QueueUrl);
        q.messages[byReceipt(q, input.ReceiptHandle)]!.visibleAt = Date.now() + 1000 * Number(input.VisibilityTimeout ?? 0);
        return {};
      }
      case 'GetQueueUrl': {
        const q = [...queues.values()].find((x) => x.name === input.QueueName);
        if (!q) throw new AwsFault(400, 'com.amazonaws.sqs#QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
        authorize(action, queueArn(q), sqsDenied(action, queueArn(q)));
        return { QueueUrl: `${origin}${q.path}` };
      }
      case 'GetQueueAttributes': {
        const q = queueFor(input.QueueUrl);
        const now = Date.now();
        const all: Record<string, string> = {
          QueueArn: queueArn(q),
          ApproximateNumberOfMessages: String(q.messages.filter((m) => m.visibleAt <= now).length),
          ApproximateNumberOfMessagesNotVisible: String(q.messages.filter((m) => m.visibleAt > now && m.receiveCount > 0).length),
          ApproximateNumberOfMessagesDelayed: String(q.messages.filter((m) => m.visibleAt > now && m.receiveCount === 0).length),
        };
        const names = (input.AttributeNames ?? []) as string[];
        const Attributes = names.includes('All') ? all : Object.fromEntries(Object.entries(all).filter(([k]) => names.includes(k)));
        return { Attributes };
      }
      default:
        throw new AwsFault(400, 'com.amazon.coral.service#UnknownOperationException', 'InvalidAction', `The action ${op} is not valid for this stand-in.`);
    }
  };

  const sns = (op: string, input: Record<string, unknown>): Record<string, unknown> => {
    if (op !== 'Publish') throw new AwsFault(400, 'InvalidAction', 'InvalidAction', `The action ${op} is not valid for this stand-in.`);
    const topicArn = String(input.TopicArn ?? '');
    if (!topicArn.startsWith(`arn:aws:sns:${region}:${accountId}:`)) throw new AwsFault(404, 'NotFound', 'NotFound', 'Topic does not exist');
    authorize('sns:Publish', topicArn, () => new AwsFault(403, 'AuthorizationError', 'AuthorizationError', `User: ${principal ?? 'anonymous'} is not authorized to perform: SNS:Publish on resource: ${topicArn} because no identity-based policy allows the SNS:Publish action`));
    if (typeof input.Message !== 'string' || input.Message === '') throw new AwsFault(400, 'InvalidParameter', 'InvalidParameter', 'Invalid parameter: Message');
    const messageId = randomUUID();
    published.push({ topicArn, message: input.Message, ...(typeof input.Subject === 'string' ? { subject: input.Subject } : {}), attributes: (input.SnsMessageAttributes ?? input.MessageAttributes ?? {}) as Record<string, SqsAttributeValue>, messageId });
    return { MessageId: messageId };
  };

  const secretsManager = (op: string, input: Record<string, unknown>): Record<string, unknown> => {
    if (op !== 'GetSecretValue') throw new AwsFault(400, 'UnknownOperationException', 'UnknownOperationException', `The action ${op} is not valid for this stand-in.`);
    const id = String(input.SecretId ?? '');
    const entry = secrets.get(id) ?? [...secrets.entries()].find(([, s]) => s.arn === id)?.[1];
    if (!entry) throw new AwsFault(400, 'ResourceNotFoundException', 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    authorize('secretsmanager:GetSecretValue', entry.arn, () => new AwsFault(400, 'AccessDeniedException', 'AccessDeniedException', `User: ${principal ?? 'anonymous'} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${id} because no identity-based policy allows the secretsmanager:GetSecretValue action`));
    const name = [...secrets.entries()].find(([, s]) => s === entry)![0];
    return { ARN: entry.arn, Name: name, VersionId: entry.versionId, SecretString: entry.value, VersionStages: ['AWSCURRENT'], CreatedDate: entry.createdAt };
  };

  const handlers: Record<string, (op: string, input: Record<string, unknown>) => Record<string, unknown>> = { sqs, sns, secretsmanager: secretsManager };

  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const received: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '/', headers, body };
    const service = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(headers.authorization ?? '')?.[1] ?? '';
    const target = headers['x-amz-target'];
    const protocol: 'json' | 'query' = target ? 'json' : 'query';
    const form = protocol === 'query' ? new URLSearchParams(body.toString('utf8')) : undefined;
    const operation = target ? target.split('.').pop()! : (form?.get('Action') ?? '');
    requests.push({ ...received, service, operation, protocol });
    const jsonType = service === 'secretsmanager' ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0';
    const requestId = randomUUID();
    const fail = (fault: AwsFault) => {
      if (protocol === 'json') {
        res.writeHead(fault.status, {
          'content-type': jsonType,
          'x-amzn-requestid': requestId,
          ...(service === 'sqs' ? { 'x-amzn-query-error': `${fault.queryCode};${fault.fault}` } : {}),
        });
        res.end(JSON.stringify({ __type: fault.type, message: fault.message, ...(service === 'secretsmanager' ? { Message: fault.message } : {}) }));
      } else {
        const ns = service === 'sns' ? SNS_NS : QUEUE_NS;
        res.writeHead(fault.status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
        res.end(`<?xml version="1.0"?><ErrorResponse xmlns="${ns}">${toXml({ Error: { Type: fault.fault, Code: fault.queryCode, Message: fault.message, Detail: '' } })}<RequestId>${requestId}</RequestId></ErrorResponse>`);
      }
    };
    try {
      const handle = handlers[service];
      if (!handle) throw new AwsFault(403, 'com.amazon.coral.service#MissingAuthenticationTokenException', 'MissingAuthenticationToken', `No signed request for a service this stand-in knows (got "${service}").`);
      // The caller's own session token: Lambda roles differ by it, the keys are the same here.
      const caller = headers['x-amz-security-token'];
      const credentials = { ...options.credentials, ...(caller !== undefined ? { sessionToken: caller } : {}) };
      if (!(await sdkSignatureMatches(received, service, region, credentials as never))) {
        rejected++;
        throw new AwsFault(403, 'com.amazon.coral.service#InvalidSignatureException', 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
      }
      if (protocol === 'json') {
        const input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
        principal = caller; // set right before the synchronous handler: no other request interleaves
        const output = handle(operation, input);
        res.writeHead(200, { 'content-type': jsonType, 'x-amzn-requestid': requestId });
        res.end(JSON.stringify(output));
        return;
      }
      const input = queryToJsonInput(form!);
      principal = caller;
      const output = handle(operation, input);
      res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
      res.end(`<?xml version="1.0"?><${operation}Response xmlns="${service === 'sns' ? SNS_NS : QUEUE_NS}"><${operation}Result>${toXml(queryResult(operation, output))}</${operation}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`);
    } catch (error) {
      fail(error instanceof AwsFault ? error : new AwsFault(500, 'InternalFailure', 'InternalFailure', (error as Error).message, 'Receiver'));
    }
  };

  const server: Server = createServer((req, res) => {
    answer(req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const standIn: AwsStandIn = {
    url: origin,
    region,
    accountId,
    requests,
    get rejectedSignatures() {
      return rejected;
    },
    denied,
    published,
    createQueue(name) {
      const path = `/${accountId}/${name}`;
      if (!queues.has(path)) queues.set(path, { path, name, messages: [] });
      return { url: `${origin}${path}`, arn: queueArn(queues.get(path)!) };
    },
    queue: (urlOrPath) => queues.get(queuePath(urlOrPath)),
    send: (queueUrl, body, attributes = {}) => enqueue(queueFor(queueUrl), body, attributes, 0),
    receiveAsEvent(queueUrl, max = 10) {
      const q = queueFor(queueUrl);
      // Lambda's poller: long visibility (the function's timeout), records in the event's shape.
      const Records = receive(q, max, 900).map(
        (m): SqsEventRecord => ({
          messageId: m.messageId,
          receiptHandle: m.receiptHandle!,
          body: m.body,
          attributes: { ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: String(m.sentAt), SenderId: 'AROAEXAMPLE:receiver', ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt) },
          messageAttributes: Object.fromEntries(
            Object.entries(m.attributes).map(([k, v]) => [k, { ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}), ...(v.BinaryValue !== undefined ? { binaryValue: v.BinaryValue } : {}), stringListValues: [], binaryListValues: [], dataType: v.DataType }]),
          ),
          md5OfBody: m.md5OfBody,
          eventSource: 'aws:sqs',
          eventSourceARN: queueArn(q),
          awsRegion: region,
        }),
      );
      return { Records };
    },
    putSecret(name, value) {
      // A new value of an existing secret keeps its ARN (PutSecretValue), as in AWS.
      const arn = secrets.get(name)?.arn ?? `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${randomUUID().replace(/-/g, '').slice(0, 6)}`;
      secrets.set(name, { value, arn, versionId: randomUUID(), createdAt: Math.floor(Date.now() / 1000) });
      return { arn };
    },
    secretArn(name) {
      const s = secrets.get(name);
      if (!s) throw new Error(`no secret named ${name} in the stand-in; put it first`);
      return s.arn;
    },
    topicArn: (name) => `arn:aws:sns:${region}:${accountId}:${name}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
  return standIn;
}

/** JSON-protocol output -> the `<Op>Result` members of the query protocol (member names differ for lists). */
function queryResult(operation: string, output: Record<string, unknown>): Record<string, unknown> {
  switch (operation) {
    case 'SendMessageBatch':
      return { SendMessageBatchResultEntry: output.Successful, BatchResultErrorEntry: output.Failed };
    case 'DeleteMessageBatch':
      return { DeleteMessageBatchResultEntry: output.Successful, BatchResultErrorEntry: output.Failed };
    case 'ReceiveMessage':
      return {
        Message: ((output.Messages ?? []) as Array<Record<string, unknown>>).map((m) => ({
          ...m,
          Attributes: undefined,
          MessageAttributes: undefined,
          Attribute: Object.entries((m.Attributes ?? {}) as Record<string, string>).map(([Name, Value]) => ({ Name, Value })),
          MessageAttribute: Object.entries((m.MessageAttributes ?? {}) as Record<string, SqsAttributeValue>).map(([Name, Value]) => ({ Name, Value })),
        })),
      };
    case 'GetQueueAttributes':
      return { Attribute: Object.entries((output.Attributes ?? {}) as Record<string, string>).map(([Name, Value]) => ({ Name, Value })) };
    default:
      return output;
  }
}
