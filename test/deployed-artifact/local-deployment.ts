/**
 * A synthesized stack "deployed" onto loopback peers: every resource a function's environment
 * names gets a local stand-in — SQS queues and the SNS topic in the AWS stand-in, buckets in s3rver,
 * the state table in dynalite (with the template's key schema), the secrets in the stand-in's
 * Secrets Manager — and the Kaltura endpoint is the project's simulator. `environmentOf(fn)` is
 * then what Lambda would give that function: its template variables resolved to those peers, plus
 * what the runtime sets (region, credentials, the SDK's endpoint variables).
 *
 * With `iam: true`, each function calls AWS as its execution role (a session token per role) and the
 * stand-in allows a call to SQS, SNS or Secrets Manager only when the role's policies in the template
 * allow that action on that resource: a missing grant fails as it would in AWS. (s3rver and dynalite
 * do not check permissions.)
 *
 * Used by test/deployed-artifact and by bench/bundles.bench.ts (first invocations against peers).
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../simulator/index.js';
import { startAwsStandIn, type AwsStandIn } from './aws-stand-in.js';
import { lambdaRuntimeEnv } from './run-bundle.js';
import { allows, allowStatementsOf, resolveEnvironment, tableKeySchema, type CfnTemplate, type DeployedFunction, type LocalResource, type PolicyStatement, type ResolveContext } from './deployed-stack.js';

/** s3rver knows one account; Lambda's role credentials always carry a session token. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', sessionToken: 'deployed-artifact-session-token' };
export const LOCAL_REGION = 'eu-west-1';
export const LOCAL_ACCOUNT = '111122223333';

/** node:crypto as the Checksum constructor smithy's signer wants: a hash, or an HMAC when given a key. */
export class Sha256 {
  private hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(private readonly key?: Uint8Array | string) {
    this.hash = this.fresh();
  }
  private fresh() {
    return this.key === undefined ? createHash('sha256') : createHmac('sha256', typeof this.key === 'string' ? Buffer.from(this.key, 'utf8') : this.key);
  }
  update(data: Uint8Array | string): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

/** One signed DynamoDB JSON call (the test side; dynalite wants a well-formed signed request). */
async function dynamoCall(endpoint: string, operation: string, input: unknown): Promise<unknown> {
  const url = new URL(endpoint);
  const body = JSON.stringify(input);
  const signer = new SignatureV4({ credentials: LOCAL_CREDENTIALS, region: LOCAL_REGION, service: 'dynamodb', sha256: Sha256 as never });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    headers: { host: url.host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}` },
    body,
  } as never);
  const res = await fetch(endpoint, { method: 'POST', headers: (signed as unknown as { headers: Record<string, string> }).headers, body });
  const text = await res.text();
  if (!res.ok) throw new Error(`dynalite ${operation}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as unknown;
}

export interface LocalDeployment {
  readonly sim: Simulator;
  readonly aws: AwsStandIn;
  readonly s3: S3Client;
  readonly s3Endpoint: string;
  readonly dynamodbEndpoint: string;
  /** Local stand-in per logical id (queue URLs, bucket and table names, topic ARN). */
  readonly resources: Readonly<Record<string, LocalResource>>;
  readonly parameters: Readonly<Record<string, string>>;
  /** The environment Lambda would give `fn`, with the Kaltura URLs pointing at the simulator. */
  environmentOf(fn: DeployedFunction): Record<string, string>;
  /** Sets the value of the secret a function's variable names (by name or ARN). */
  putSecretNamedBy(fn: DeployedFunction, variable: string, value: string): void;
  listObjects(bucket: string, prefix?: string): Promise<string[]>;
  readObject(bucket: string, key: string): Promise<Buffer | undefined>;
  close(): Promise<void>;
}

const lowerId = (logicalId: string) => logicalId.toLowerCase().replace(/[^a-z0-9-]/g, '').slice(0, 63);

/** The session token a function's calls carry: names its execution role. */
export const roleToken = (roleLogicalId: string) => `deployed-artifact-role/${roleLogicalId}`;

export async function deployLocally(template: CfnTemplate, options: { stackName: string; parameters?: Record<string, string>; simulator?: SimulatorOptions; iam?: boolean }): Promise<LocalDeployment> {
  const resources: Record<string, LocalResource> = {};
  /** Allow statements per session token (filled once every resource has its stand-in). */
  const policies = new Map<string, PolicyStatement[]>();
  const buckets: string[] = [];
  const tables: Array<{ logicalId: string; name: string }> = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type === 'AWS::S3::Bucket') {
      const name = lowerId(id);
      buckets.push(name);
      resources[id] = { ref: name, attributes: { Arn: `arn:aws:s3:::${name}`, DomainName: `${name}.s3.amazonaws.com`, RegionalDomainName: `${name}.s3.${LOCAL_REGION}.amazonaws.com` } };
    } else if (/^AWS::DynamoDB::(Global)?Table$/.test(r.Type)) {
      const name = `${options.stackName}-${id}`;
      tables.push({ logicalId: id, name });
      resources[id] = { ref: name, attributes: { Arn: `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${name}` } };
    }
  }

  const s3Dir = await mkdtemp(join(tmpdir(), 'kreports-deployed-s3-'));
  const s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir, configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
  const dynamo: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const [sim, aws, s3Info] = await Promise.all([
    startSimulator(options.simulator ?? {}),
    startAwsStandIn({
      credentials: LOCAL_CREDENTIALS,
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT,
      ...(options.iam ? { authorize: ({ principal, action, resource }) => allows(policies.get(principal ?? '') ?? [], action, resource) } : {}),
    }),
    s3rver.run() as Promise<{ port: number }>,
    new Promise<void>((r) => dynamo.listen(0, '127.0.0.1', r)),
  ]);
  const s3Endpoint = `http://127.0.0.1:${s3Info.port}`;
  const dynamodbEndpoint = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;

  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type === 'AWS::SQS::Queue') {
      const { url, arn } = aws.createQueue(id);
      resources[id] = { ref: url, attributes: { Arn: arn, QueueUrl: url, QueueName: id } };
    } else if (r.Type === 'AWS::SNS::Topic') {
      const arn = aws.topicArn(id);
      resources[id] = { ref: arn, attributes: { TopicArn: arn, TopicName: id } };
    } else if (r.Type === 'AWS::SecretsManager::Secret') {
      const name = typeof r.Properties?.Name === 'string' ? r.Properties.Name : `${id}-generated`;
      // Until the test puts a value: what the stack's placeholder would hold.
      const { arn } = aws.putSecret(name, '{"placeholder":"fill me"}');
      resources[id] = { ref: arn, attributes: { Id: arn } };
    }
  }
  for (const t of tables) {
    const schema = tableKeySchema(template, t.logicalId);
    await dynamoCall(dynamodbEndpoint, 'CreateTable', { TableName: t.name, ...schema, BillingMode: 'PAY_PER_REQUEST' });
  }

  const parameters: Record<string, string> = {
    'AWS::Region': LOCAL_REGION,
    'AWS::AccountId': LOCAL_ACCOUNT,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': options.stackName,
    ...options.parameters,
  };
  const ctx: ResolveContext = { resources, parameters };
  for (const [id, r] of Object.entries(template.Resources)) if (r.Type === 'AWS::IAM::Role') policies.set(roleToken(id), allowStatementsOf(template, id, ctx));
  const s3 = new S3Client({ endpoint: s3Endpoint, forcePathStyle: true, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });

  const templateEnv = (fn: DeployedFunction) => resolveEnvironment(fn, ctx);

  return {
    sim,
    aws,
    s3,
    s3Endpoint,
    dynamodbEndpoint,
    resources,
    parameters,
    environmentOf(fn) {
      const kaltura: Record<string, string> = { KALTURA_SERVICE_URL: sim.serviceUrl };
      if ('KALTURA_REPORTS_URL' in fn.environment) kaltura.KALTURA_REPORTS_URL = sim.reportsUrl;
      return {
        ...lambdaRuntimeEnv({
          functionName: fn.logicalId,
          taskRoot: fn.assetDir,
          memoryLimitInMB: fn.memorySize,
          region: LOCAL_REGION,
          credentials: { ...LOCAL_CREDENTIALS, ...(fn.roleLogicalId ? { sessionToken: roleToken(fn.roleLogicalId) } : {}) },
          endpoints: { sqs: aws.url, sns: aws.url, secretsManager: aws.url, dynamodb: dynamodbEndpoint, s3: s3Endpoint },
        }),
        ...resolveEnvironment(fn, ctx, kaltura),
      };
    },
    putSecretNamedBy(fn, variable, value) {
      const named = templateEnv(fn)[variable];
      if (!named) throw new Error(`${fn.logicalId} has no ${variable} in its environment`);
      const name = named.startsWith('arn:') ? named.split(':secret:')[1]!.replace(/-[A-Za-z0-9]{6}$/, '') : named;
      aws.putSecret(name, value);
    },
    async listObjects(bucket, prefix = '') {
      const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (res.Contents ?? []).map((o) => o.Key!).sort();
    },
    async readObject(bucket, key) {
      try {
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from(await res.Body!.transformToByteArray());
      } catch (error) {
        if ((error as Error).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    async close() {
      s3.destroy();
      await Promise.all([
        sim.close(),
        aws.close(),
        s3rver.close(),
        new Promise<void>((r) => {
          dynamo.close(() => r());
          (dynamo as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
        }),
      ]);
      await rm(s3Dir, { recursive: true, force: true });
    },
  };
}
