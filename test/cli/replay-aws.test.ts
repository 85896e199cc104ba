/**
 * `kreports replay --aws` through the bin, against a loopback stand-in for SQS that checks the
 * SigV4 signature (the SDK's own signer), the X-Amz-Target and the ARNs it is sent; with
 * --notification also against an S3 stand-in (signature-checking) holding notifications the real
 * receiver archived.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSqs, startJsonPeer, startSigningCheckS3, TEST_CREDENTIALS, type FakeSqs, type JsonPeer } from '../receiver/aws-peers.js';
import { EXAMPLE_CONFIG } from '../../cli/runtime.js';
import { loadConfigFile } from '../../shared/config/load-config.js';
import { createS3BlobStore } from '../../shared/storage/s3-blob-store.js';
import { s3Client } from '../../shared/aws-clients/s3.js';
import { createMemoryLogger } from '../../shared/logging/logger.js';
import { createReceiver } from '../../shared/webhook/receiver.js';
import { signNotification } from '../../shared/webhook/signature.js';
import { archiveDocument } from '../../shared/webhook/notification-archive.js';
import type { JobKind, JobMessage } from '../../shared/jobs/job-message.js';
import type { IdempotencyStore } from '../../shared/ports/idempotency-store.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validateConfig } from '../../shared/config/load-config.js';
import type { ReportingConfig } from '../../shared/config/schema.js';
import { runCli, tempDir } from './helpers.js';

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

// ---- kreports replay --aws --notification --------------------------------------------------------

const BUCKET = 'kalturareporting-reportsbucket-test';
const S3_REGION = 'eu-west-1';
/** The fake SQS signs as us-east-1: the queue URLs' region, not AWS_REGION (the bucket's), must be used. */
const QUEUE_BASE = `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}`;
const WEBHOOK_SECRET = '5a1e0c3b9d7f4e2a8c6b0d1f3e5a7c9b';
const DAY_MS = 24 * 3600 * 1000;

let s3: Awaited<ReturnType<typeof startSigningCheckS3>>;
let jobSqs: FakeSqs;

/** A notification as Kaltura sends it (WIRE_FACTS §6.3): an entry that became READY, so the example's rule entry-ready gives an export and a check. */
function entryReadyNotification(eventNotificationJobId: number, entryId: string): Record<string, unknown> {
  return {
    object: { id: entryId, name: 'Entry', partnerId: 4242, status: 2, objectType: 'KalturaMediaEntry' },
    eventObjectType: 1,
    eventNotificationJobId,
    templateId: 26970222,
    templateName: 'Entry Status Equals',
    templateSystemName: 'HTTP_ENTRY_STATUS_EQUALS',
    eventType: 3,
    objectType: 'KalturaHttpNotification',
  };
}

/**
 * Receives `body` with the real receiver (example configuration, archive in the S3 stand-in), as if at
 * `receivedAt`; returns the jobs it queued then, the ones a replay must reproduce.
 */
async function receiveOnce(body: string, algo: 'sha1' | 'sha256', receivedAt: Date, config?: ReportingConfig): Promise<Array<{ kind: JobKind; jobId: string }>> {
  const sent: Array<{ kind: JobKind; jobId: string }> = [];
  const claimed = new Set<string>();
  const idempotency: IdempotencyStore = {
    claim: async (key) => (claimed.has(key) ? { status: 'completed' } : (claimed.add(key), { status: 'claimed' })),
    complete: async () => undefined,
    release: async (key) => void claimed.delete(key),
  };
  const receiver = createReceiver({
    config: config ?? (await loadConfigFile(EXAMPLE_CONFIG)),
    partnerId: 4242,
    secrets: [WEBHOOK_SECRET],
    queue: { send: async (kind: JobKind, messages: ReadonlyArray<JobMessage>) => void sent.push(...messages.map((m) => ({ kind, jobId: m.jobId }))) },
    archive: createS3BlobStore({ bucket: BUCKET, client: s3Client({ region: S3_REGION, endpoint: s3.url, credentials: TEST_CREDENTIALS }) }),
    idempotency,
    logger: createMemoryLogger('receiver'),
    now: () => receivedAt,
  });
  const bytes = Buffer.from(body, 'utf8');
  const response = await receiver.handle({ body: bytes, headers: { 'content-type': 'application/json', 'x-kaltura-signature': signNotification(WEBHOOK_SECRET, bytes, algo), 'x-kaltura-hash-algo': algo } });
  expect(response.status).toBe(200);
  return sent;
}

function daysAgo(days: number): Date {
  const d = new Date(Date.now() - days * DAY_MS);
  d.setUTCHours(12, 0, 0, 0);
  return d;
}

const dayPath = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, '/');

/** Queue URLs of their own per test, so one test's messages never count in another's. */
function queueUrls(tag: string): Record<'EXPORT_QUEUE_URL' | 'CHECK_QUEUE_URL', string> {
  return { EXPORT_QUEUE_URL: `${QUEUE_BASE}/${tag}-ExportQueue`, CHECK_QUEUE_URL: `${QUEUE_BASE}/${tag}-CheckQueue` };
}

function notificationEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: TEST_CREDENTIALS.sessionToken,
    AWS_REGION: S3_REGION,
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_ENDPOINT_URL_SQS: jobSqs.url,
    BUCKET_NAME: BUCKET,
    ...extra,
  };
}

function jobIdsOn(queueUrl: string): string[] {
  return (jobSqs.queues.get(queueUrl) ?? []).map((m) => (JSON.parse(m.body) as JobMessage).jobId);
}

const idsOf = (jobs: ReadonlyArray<{ kind: JobKind; jobId: string }>, kind: JobKind) => jobs.filter((j) => j.kind === kind).map((j) => j.jobId);

const JSON_RECEIVED = daysAgo(10);
const JSON_ID = 91000001;
/** The receiver accepts ids of up to 64 of A-Z a-z 0-9 _ . -, so replay must too. */
const TEXT_ID = 'job_abc-1.2';
let textIdOriginal: Array<{ kind: JobKind; jobId: string }>;
const LEGACY_RECEIVED = daysAgo(3);
const LEGACY_ID = 91000002;
let jsonOriginal: Array<{ kind: JobKind; jobId: string }>;
let legacyOriginal: Array<{ kind: JobKind; jobId: string }>;

beforeAll(async () => {
  s3 = await startSigningCheckS3(S3_REGION);
  jobSqs = await startFakeSqs();
  jsonOriginal = await receiveOnce(JSON.stringify(entryReadyNotification(JSON_ID, '1_replayaws')), 'sha256', JSON_RECEIVED);
  textIdOriginal = await receiveOnce(JSON.stringify(entryReadyNotification(TEXT_ID as unknown as number, '1_textid')), 'sha256', JSON_RECEIVED);
  legacyOriginal = await receiveOnce(`data=${encodeURIComponent(JSON.stringify(entryReadyNotification(LEGACY_ID, '1_legacyaws')))}`, 'sha1', LEGACY_RECEIVED);
});
afterAll(async () => {
  await s3?.close();
  await jobSqs?.close();
});

describe('kreports replay --aws --notification', () => {
  it('finds the archived notification by searching back day by day and queues the jobs of its first receipt on the kinds\' queues', async () => {
    const urls = queueUrls('found');

    const result = await runCli(['replay', '--aws', '--notification', String(JSON_ID), '--json'], notificationEnv(urls));

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const key = `archive/notifications/${dayPath(JSON_RECEIVED)}/${JSON_ID}.json`;
    const out = JSON.parse(result.stdout) as { replayed: Array<{ eventNotificationJobId: string; archiveKey: string; rules: string[]; jobs: Array<{ kind: JobKind; jobId: string }> }> };
    expect(out.replayed).toHaveLength(1);
    expect(out.replayed[0]).toMatchObject({ eventNotificationJobId: String(JSON_ID), archiveKey: key, rules: ['entry-ready'] });
    expect(idsOf(jsonOriginal, 'export')).toHaveLength(1);
    expect(idsOf(jsonOriginal, 'check')).toHaveLength(1);
    expect(jobIdsOn(urls.EXPORT_QUEUE_URL)).toEqual(idsOf(jsonOriginal, 'export'));
    expect(jobIdsOn(urls.CHECK_QUEUE_URL)).toEqual(idsOf(jsonOriginal, 'check'));
    expect(out.replayed[0]!.jobs.map((j) => j.jobId).sort()).toEqual(jsonOriginal.map((j) => j.jobId).sort());
    expect(jobSqs.rejectedSignatures).toBe(0);
  });

  it('replays a version 1 document (a legacy data= body) from the day given with --date', async () => {
    const urls = queueUrls('legacy');
    const stored = s3.objects.get(`/${BUCKET}/archive/notifications/${dayPath(LEGACY_RECEIVED)}/${LEGACY_ID}.json`);
    expect(JSON.parse(stored!.body.toString('utf8'))).toMatchObject({ version: 1, bodyFormat: 'legacy-form' });

    const result = await runCli(['replay', '--aws', '--notification', String(LEGACY_ID), '--date', LEGACY_RECEIVED.toISOString().slice(0, 10)], notificationEnv(urls));

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^notification ${LEGACY_ID} \\(s3://${BUCKET}/archive/notifications/${dayPath(LEGACY_RECEIVED)}/${LEGACY_ID}\\.json\\): 2 job\\(s\\) queued from rule\\(s\\) entry-ready`));
    expect(jobIdsOn(urls.EXPORT_QUEUE_URL)).toEqual(idsOf(legacyOriginal, 'export'));
    expect(jobIdsOn(urls.CHECK_QUEUE_URL)).toEqual(idsOf(legacyOriginal, 'check'));
  });

  it('exits 1 and sends nothing when --date names a day without that notification', async () => {
    const urls = queueUrls('wrong-day');
    const before = jobSqs.requests.length;
    const wrongDay = new Date(JSON_RECEIVED.getTime() + DAY_MS).toISOString().slice(0, 10);

    const result = await runCli(['replay', '--aws', '--notification', String(JSON_ID), '--date', wrongDay], notificationEnv(urls));

    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`no archived notification ${JSON_ID} at s3://${BUCKET}/archive/notifications/${wrongDay.replace(/-/g, '/')}/${JSON_ID}.json`);
    expect(result.stdout).toBe('');
    expect(jobSqs.requests.length).toBe(before);
  });

  it('exits 1 naming the bucket and the days searched when no day holds the notification, sending nothing', async () => {
    const before = jobSqs.requests.length;

    const result = await runCli(['replay', '--aws', '--notification', String(JSON_ID), '--notification', '91000999'], notificationEnv(queueUrls('unknown')));

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`nothing sent: no archived notification 91000999 in s3://${BUCKET}/archive/notifications/ from the last 91 days (the archive keeps 90)`);
    expect(jobSqs.requests.length).toBe(before);
  });

  it('replays a notification whose id is not only digits, as the receiver accepted it', async () => {
    const urls = queueUrls('text-id');

    const result = await runCli(['replay', '--aws', '--notification', TEXT_ID], notificationEnv(urls));

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(jobIdsOn(urls.EXPORT_QUEUE_URL)).toEqual(idsOf(textIdOriginal, 'export'));
  });

  it('when SQS fails part way, exits 1 saying what was already queued and that running it again is safe', async () => {
    // Prepare: the export queue takes messages, the check queue answers 500 every time.
    const urls = queueUrls('partial');
    jobSqs.failingQueues.add(urls.CHECK_QUEUE_URL);
    try {
      // Act
      const result = await runCli(['replay', '--aws', '--notification', String(JSON_ID)], notificationEnv(urls));
      // Assess
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(`sending notification ${JSON_ID}'s check jobs failed`);
      expect(result.stderr).toContain(`queued before it: notification ${JSON_ID} export (1)`);
      expect(result.stderr).toContain('Running the same command again is safe');
      expect(jobIdsOn(urls.EXPORT_QUEUE_URL)).toEqual(idsOf(jsonOriginal, 'export'));
    } finally {
      jobSqs.failingQueues.delete(urls.CHECK_QUEUE_URL);
    }
  });

  it('needs KALTURA_PARTNER_ID only for a document archived without the receiver\'s partner id, and then sends nothing without it', async () => {
    // Prepare: a document as receivers wrote it before they kept their partner id.
    const key = `archive/notifications/${dayPath(JSON_RECEIVED)}/91000003.json`;
    const store = createS3BlobStore({ bucket: BUCKET, client: s3Client({ region: S3_REGION, endpoint: s3.url, credentials: TEST_CREDENTIALS }) });
    const body = JSON.stringify(entryReadyNotification(91000003, '1_oldformat'));
    await store.putBytes(key, archiveDocument({ eventNotificationJobId: '91000003', receivedAt: JSON_RECEIVED.toISOString(), contentType: 'application/json', hashAlgo: 'sha256', bodyFormat: 'json' }, Buffer.from(body), body), { contentType: 'application/json' });
    const urls = queueUrls('old-format');
    const before = jobSqs.requests.length;
    // Act
    const without = await runCli(['replay', '--aws', '--notification', '91000003'], notificationEnv(urls));
    const sentWithout = jobSqs.requests.length - before;
    const withId = await runCli(['replay', '--aws', '--notification', '91000003'], notificationEnv({ ...urls, KALTURA_PARTNER_ID: '4242' }));
    // Assess
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(/nothing sent: notification 91000003 was archived without the receiver's partner id; set KALTURA_PARTNER_ID/);
    expect(sentWithout).toBe(0);
    expect(withId.code).toBe(0);
    expect(jobIdsOn(urls.EXPORT_QUEUE_URL)).toHaveLength(1);
  });

  it('exits 2 naming BUCKET_NAME and its stack output when no bucket is given', async () => {
    const before = jobSqs.requests.length;

    const result = await runCli(['replay', '--aws', '--notification', String(JSON_ID)], notificationEnv({ ...queueUrls('no-bucket'), BUCKET_NAME: undefined }));

    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/--bucket NAME or set BUCKET_NAME \(stack output BucketName/);
    expect(jobSqs.requests.length).toBe(before);
  });

  it('exits 2 naming the missing queue URL of a kind the notification needs, and sends no job of any kind', async () => {
    const urls = queueUrls('no-check-url');
    const before = jobSqs.requests.length;

    const result = await runCli(['replay', '--aws', '--notification', String(JSON_ID)], notificationEnv({ EXPORT_QUEUE_URL: urls.EXPORT_QUEUE_URL }));

    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/CHECK_QUEUE_URL \(stack output CheckQueueUrl\)/);
    expect(result.stderr).not.toMatch(/EXPORT_QUEUE_URL|LIVE_HEALTH_QUEUE_URL|MICROSERVICE_QUEUE_URL/);
    expect(jobSqs.requests.length).toBe(before);
    expect(jobIdsOn(urls.EXPORT_QUEUE_URL)).toEqual([]);
  });
  it('re-creates a job that could not be built once its rule is fixed, and names the jobs that still cannot be', async () => {
    const dir = await tempDir('replay-aws-');
    const configWith = (subject: string) => ({
      version: 1,
      kaltura: { timezone: 'America/New_York' },
      destinations: { local: { type: 'local' } },
      rules: [
        {
          name: 'category-tagged',
          when: { templateSystemName: 'CATEGORY_TAGGED' },
          jobs: [
            { kind: 'export', name: 'per-category', scope: 'category', subject, source: { type: 'table', reportType: 1 } },
            { kind: 'export', name: 'per-entry', source: { type: 'table', reportType: 1 } },
          ],
        },
      ],
    });
    const brokenFile = join(dir.path, 'broken.json');
    const fixedFile = join(dir.path, 'fixed.json');
    await writeFile(brokenFile, JSON.stringify(configWith('{object.categoryId}'))); // the object has no categoryId
    await writeFile(fixedFile, JSON.stringify(configWith('{object.categoriesIds}')));
    const id = 91000003;
    const base = entryReadyNotification(id, '1_tagged');
    const notification = { ...base, templateSystemName: 'CATEGORY_TAGGED', object: { ...(base.object as Record<string, unknown>), categoriesIds: '77' } };
    const original = await receiveOnce(JSON.stringify(notification), 'sha256', daysAgo(2), validateConfig(configWith('{object.categoryId}'), 'broken.json'));
    expect(original).toHaveLength(1); // per-entry only: per-category was dead-lettered
    const stillBrokenUrls = queueUrls('still-broken');
    const fixedUrls = queueUrls('fixed');

    const stillBroken = await runCli(['replay', '--aws', '--notification', String(id)], notificationEnv({ ...stillBrokenUrls, REPORTING_CONFIG: brokenFile }));
    const fixed = await runCli(['replay', '--aws', '--notification', String(id), '--json'], notificationEnv({ ...fixedUrls, CHECK_QUEUE_URL: undefined, REPORTING_CONFIG: fixedFile }));

    expect(stillBroken.code).toBe(0);
    expect(stillBroken.stdout).toMatch(/1 job\(s\) queued from rule\(s\) category-tagged/);
    expect(stillBroken.stderr).toMatch(/job category-tagged\/per-category \(export\) still cannot be built/);
    expect(jobIdsOn(stillBrokenUrls.EXPORT_QUEUE_URL)).toEqual(original.map((j) => j.jobId));
    expect(fixed.code).toBe(0);
    expect(fixed.stderr).toBe('');
    const jobs = (JSON.parse(fixed.stdout) as { replayed: Array<{ jobs: Array<{ job: string; jobId: string }> }> }).replayed[0]!.jobs;
    expect(jobs.map((j) => j.job).sort()).toEqual(['per-category', 'per-entry']);
    expect(jobIdsOn(fixedUrls.EXPORT_QUEUE_URL).sort()).toEqual(jobs.map((j) => j.jobId).sort());
    expect(jobIdsOn(fixedUrls.EXPORT_QUEUE_URL)).toContain(original[0]!.jobId);
    await dir.remove();
  });
});

// ---- the SDK's standard credential chain: profiles, SSO, missing credentials ---------------------

describe('kreports replay --aws on the AWS SDK credential chain', () => {
  /** Every AWS variable of the parent (vitest sets keys and a region) removed: only what a test gives counts. */
  const noAwsEnv = { AWS_ACCESS_KEY_ID: null, AWS_SECRET_ACCESS_KEY: null, AWS_SESSION_TOKEN: null, AWS_REGION: null, AWS_DEFAULT_REGION: null, AWS_PROFILE: null, AWS_EC2_METADATA_DISABLED: 'true' };

  /** A home directory with ~/.aws/config and ~/.aws/credentials as `aws configure` writes them. */
  async function awsHome(config: string, credentials?: string): Promise<{ path: string; remove: () => Promise<void> }> {
    const home = await tempDir('kreports-aws-home-');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(home.path, '.aws'), { recursive: true });
    await writeFile(join(home.path, '.aws', 'config'), config);
    if (credentials !== undefined) await writeFile(join(home.path, '.aws', 'credentials'), credentials);
    return home;
  }

  it('--list works with only AWS_PROFILE set: keys from ~/.aws/credentials, region from ~/.aws/config', async () => {
    // Prepare: a LocalStack-style queue URL carries no region, so the profile's region must be used to sign.
    const home = await awsHome(
      `[profile reporting-ops]\nregion = ${REGION}\noutput = json\n`,
      `[reporting-ops]\naws_access_key_id = ${TEST_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${TEST_CREDENTIALS.secretAccessKey}\naws_session_token = ${TEST_CREDENTIALS.sessionToken}\n`,
    );
    const localDlq = `${sqs.url}/${ACCOUNT}/KalturaReporting-ExportDLQ`;
    const signedBefore = sqs.requests.length;
    // Act
    const result = await runCli(['replay', '--aws', '--list', '--kind', 'export', '--json'], { ...noAwsEnv, HOME: home.path, AWS_PROFILE: 'reporting-ops', AWS_ENDPOINT_URL_SQS: sqs.url, EXPORT_DLQ_URL: localDlq });
    await home.remove();
    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ kind: 'export', approximateNumberOfMessages: 7 });
    expect(sqs.requests.length).toBe(signedBefore + 1);
    expect(sqs.requests.at(-1)!.headers.authorization).toContain(`Credential=${TEST_CREDENTIALS.accessKeyId}/`);
    expect(sqs.requests.at(-1)!.headers.authorization).toContain(`/${REGION}/sqs/aws4_request`);
    expect(sqs.rejectedSignatures).toBe(0);
  });

  it('takes --region over the profile\'s region', async () => {
    // Prepare: the profile says us-west-2; the stand-in only accepts signatures for eu-west-1.
    const home = await awsHome(`[default]\nregion = us-west-2\n`, `[default]\naws_access_key_id = ${TEST_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${TEST_CREDENTIALS.secretAccessKey}\naws_session_token = ${TEST_CREDENTIALS.sessionToken}\n`);
    const localDlq = `${sqs.url}/${ACCOUNT}/KalturaReporting-ExportDLQ`;
    // Act
    const result = await runCli(['replay', '--aws', '--list', '--kind', 'export', '--region', REGION], { ...noAwsEnv, HOME: home.path, AWS_ENDPOINT_URL_SQS: sqs.url, EXPORT_DLQ_URL: localDlq });
    await home.remove();
    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(sqs.requests.at(-1)!.headers.authorization).toContain(`/${REGION}/sqs/aws4_request`);
  });

  it('exits 2 with what to run for a profile that does not exist, an expired SSO session, or no credentials at all', async () => {
    // Prepare: an IAM Identity Center profile whose cached token expired yesterday.
    const startUrl = 'https://example-sso.awsapps.com/start';
    const home = await awsHome(`[profile sso-expired]\nsso_start_url = ${startUrl}\nsso_region = ${REGION}\nsso_account_id = ${ACCOUNT}\nsso_role_name = ReportingOps\nregion = ${REGION}\n`);
    const { mkdir } = await import('node:fs/promises');
    const { createHash } = await import('node:crypto');
    await mkdir(join(home.path, '.aws', 'sso', 'cache'), { recursive: true });
    await writeFile(
      join(home.path, '.aws', 'sso', 'cache', `${createHash('sha1').update(startUrl).digest('hex')}.json`),
      JSON.stringify({ startUrl, region: REGION, accessToken: 'expired-token', expiresAt: new Date(Date.now() - DAY_MS).toISOString() }),
    );
    const before = sqs.requests.length;
    const env = { ...noAwsEnv, HOME: home.path, AWS_ENDPOINT_URL_SQS: sqs.url, EXPORT_DLQ_URL: EXPORT_DLQ };
    // Act
    const missingProfile = await runCli(['replay', '--aws', '--list', '--kind', 'export'], { ...env, AWS_PROFILE: 'no-such-profile' });
    const expiredSso = await runCli(['replay', '--aws', '--list', '--kind', 'export'], { ...env, AWS_PROFILE: 'sso-expired' });
    const nothing = await runCli(['replay', '--aws', '--list', '--kind', 'export'], env);
    await home.remove();
    // Assess
    for (const r of [missingProfile, expiredSso, nothing]) {
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(missingProfile.stderr).toMatch(/AWS profile 'no-such-profile' is not in the shared config or credentials file/);
    expect(expiredSso.stderr).toMatch(/SSO session of profile 'sso-expired' has expired: run aws sso login --profile sso-expired/);
    expect(nothing.stderr).toMatch(/no AWS credentials found: set AWS_PROFILE/);
    expect(sqs.requests.length).toBe(before);
  });
});
