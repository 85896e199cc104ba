/**
 * Local stand-ins for the AWS endpoints the receiver calls, on loopback. Each one checks the SigV4
 * signature of every request with the AWS SDK's own signer (`@smithy/signature-v4`), an
 * implementation independent of ours, and refuses (403 InvalidSignatureException) what does not match.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createHash, createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';

export const TEST_CREDENTIALS = { accessKeyId: 'AKIDTESTRECEIVER', secretAccessKey: 'receiver/test+secret/key', sessionToken: 'session-token-for-tests' };

/** node:crypto as the Checksum constructor smithy wants. */
class NodeSha256 {
  private hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(private readonly secret?: Uint8Array | string) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', Buffer.from(secret as Uint8Array));
  }
  update(data: Uint8Array | string): void {
    this.hash.update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {
    this.hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', Buffer.from(this.secret as Uint8Array));
  }
}

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** Recomputes the request's Authorization with the SDK signer over the headers it claims to sign. */
export async function sdkSignatureMatches(req: ReceivedRequest, service: string, region: string, credentials = TEST_CREDENTIALS): Promise<boolean> {
  const auth = req.headers.authorization ?? '';
  const signedHeaders = /SignedHeaders=([^,\s]+)/.exec(auth)?.[1]?.split(';') ?? [];
  const amzDate = req.headers['x-amz-date'];
  if (!amzDate || signedHeaders.length === 0) return false;
  const headers: Record<string, string> = {};
  for (const h of signedHeaders) if (req.headers[h] !== undefined) headers[h] = req.headers[h]!;
  const [path, query = ''] = req.path.split('?', 2) as [string, string?];
  const q: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(query)) q[k] = v;
  const s3 = service === 's3';
  const signer = new SignatureV4({ credentials, region, service, sha256: NodeSha256 as never, uriEscapePath: !s3, applyChecksum: s3 });
  const date = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const signed = await signer.sign(
    { method: req.method, protocol: 'http:', hostname: headers.host!.split(':')[0]!, ...(headers.host!.includes(':') ? { port: Number(headers.host!.split(':')[1]) } : {}), path: s3 ? path : decodeURIComponent(path), query: q, headers, body: req.body.toString('utf8') } as never,
    { signingDate: date },
  );
  return (signed as unknown as { headers: Record<string, string> }).headers.authorization === auth;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export interface JsonPeer {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  readonly rejectedSignatures: number;
  close(): Promise<void>;
}

/** An AWS JSON-protocol endpoint: `handle(target, input)` answers `{status, body}`. */
export async function startJsonPeer(
  service: string,
  handle: (target: string, input: Record<string, unknown>) => { status: number; body: unknown } | Promise<{ status: number; body: unknown }>,
  region = 'us-east-1',
): Promise<JsonPeer> {
  const requests: ReceivedRequest[] = [];
  let rejected = 0;
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const received: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '/', headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])), body };
    requests.push(received);
    const reply = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(payload));
    };
    if (!(await sdkSignatureMatches(received, service, region))) {
      rejected++;
      reply(403, { __type: 'com.amazon.coral.service#InvalidSignatureException', message: 'The request signature we calculated does not match' });
      return;
    }
    const target = received.headers['x-amz-target'] ?? '';
    const out = await handle(target.split('.').pop()!, JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>);
    reply(out.status, out.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    get rejectedSignatures() {
      return rejected;
    },
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

export interface FakeSqs extends JsonPeer {
  /** Messages accepted per queue URL. */
  readonly queues: Map<string, Array<{ body: string; attributes: Record<string, unknown>; delaySeconds?: number }>>;
  /** Fail (Failed entries, ServiceUnavailable) the next N entries SendMessageBatch receives. */
  failEntries: number;
  /** Answer the next N calls with HTTP 500. */
  failCalls: number;
  /** Answer every call for these queue URLs with HTTP 500. */
  readonly failingQueues: Set<string>;
  readonly batchSizes: number[];
}

export async function startFakeSqs(): Promise<FakeSqs> {
  const queues = new Map<string, Array<{ body: string; attributes: Record<string, unknown>; delaySeconds?: number }>>();
  const batchSizes: number[] = [];
  const state = { failEntries: 0, failCalls: 0 };
  const failingQueues = new Set<string>();
  const peer = await startJsonPeer('sqs', (op, input) => {
    if (failingQueues.has(String(input.QueueUrl))) return { status: 500, body: { __type: 'com.amazonaws.sqs#InternalError', message: 'simulated' } };
    if (state.failCalls > 0) {
      state.failCalls--;
      return { status: 500, body: { __type: 'com.amazonaws.sqs#InternalError', message: 'simulated' } };
    }
    if (op !== 'SendMessageBatch') return { status: 400, body: { __type: 'com.amazonaws.sqs#InvalidAction', message: op } };
    const entries = input.Entries as Array<{ Id: string; MessageBody: string; MessageAttributes?: Record<string, unknown>; DelaySeconds?: number }>;
    batchSizes.push(entries.length);
    if (entries.length > 10) return { status: 400, body: { __type: 'com.amazonaws.sqs#TooManyEntriesInBatchRequest', message: 'max 10' } };
    const list = queues.get(String(input.QueueUrl)) ?? [];
    queues.set(String(input.QueueUrl), list);
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    for (const e of entries) {
      if (state.failEntries > 0) {
        state.failEntries--;
        Failed.push({ Id: e.Id, SenderFault: false, Code: 'ServiceUnavailable', Message: 'simulated' });
        continue;
      }
      list.push({ body: e.MessageBody, attributes: e.MessageAttributes ?? {}, ...(e.DelaySeconds !== undefined ? { delaySeconds: e.DelaySeconds } : {}) });
      Successful.push({ Id: e.Id, MessageId: `msg-${list.length}`, MD5OfMessageBody: createHash('md5').update(e.MessageBody).digest('hex') });
    }
    return { status: 200, body: { Successful, ...(Failed.length ? { Failed } : {}) } };
  });
  // defineProperties, not Object.assign: accessors must stay accessors.
  return Object.defineProperties(peer, {
    queues: { value: queues },
    batchSizes: { value: batchSizes },
    failingQueues: { value: failingQueues },
    failEntries: { get: () => state.failEntries, set: (n: number) => { state.failEntries = n; } },
    failCalls: { get: () => state.failCalls, set: (n: number) => { state.failCalls = n; } },
  }) as FakeSqs;
}

export async function startFakeSecretsManager(secrets: Record<string, string>): Promise<JsonPeer> {
  return startJsonPeer('secretsmanager', (op, input) => {
    const value = secrets[String(input.SecretId)];
    if (op !== 'GetSecretValue' || value === undefined) return { status: 400, body: { __type: 'ResourceNotFoundException', message: 'not found' } };
    return { status: 200, body: { Name: input.SecretId, SecretString: value } };
  });
}

/** An S3 stand-in that only checks signatures (with the SDK signer) and keeps objects in memory. */
export async function startSigningCheckS3(region = 'us-east-1'): Promise<{ url: string; objects: Map<string, { body: Buffer; headers: Record<string, string> }>; close(): Promise<void> }> {
  const objects = new Map<string, { body: Buffer; headers: Record<string, string> }>();
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const received: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '/', headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])), body };
    if (!(await sdkSignatureMatches(received, 's3', region, { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: TEST_CREDENTIALS.secretAccessKey, sessionToken: TEST_CREDENTIALS.sessionToken }))) {
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error>');
      return;
    }
    // The SDK adds `?x-id=PutObject` / `?x-id=GetObject` to the object's path: the key is the path alone.
    const objectPath = decodeURIComponent(received.path.split('?')[0]!);
    if (req.method === 'PUT') {
      objects.set(objectPath, { body, headers: received.headers });
      res.writeHead(200);
      res.end();
      return;
    }
    const found = objects.get(objectPath);
    res.writeHead(found ? 200 : 404);
    res.end(found?.body ?? '<Error><Code>NoSuchKey</Code></Error>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, objects, close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }) };
}
