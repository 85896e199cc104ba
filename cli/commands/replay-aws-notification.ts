/**
 * `kreports replay --aws --notification ID`: re-creates an archived notification's jobs on the deployed
 * stack. The document is read from the stack's bucket (`archive/notifications/<yyyy>/<mm>/<dd>/<id>.json`,
 * UTC date of receipt) with the project's S3 store (as the receiver wrote it), matched against the
 * configuration by `Receiver.replay` and the jobs are sent to the kinds' SQS job queues with the
 * receiver's SQS queue. AWS through the SDK v3 clients, region and credentials from the SDK's chains
 * (cli/aws-session.ts).
 *
 * Loaded by replay.ts only after the arguments were parsed (it pulls in the receiver and zod).
 *
 * Never half-sends because of the command line: every document is found and matched before the first
 * message goes, and every queue URL the matched jobs need is checked then (see `DeferredQueue`).
 */
import { ValidationError } from '../../shared/errors/base-error.js';
import { awsErrorCode, awsHttpStatus, isRetryableAwsError } from '../../shared/aws-clients/aws-errors.js';
import { s3Client } from '../../shared/aws-clients/s3.js';
import { sqsClient } from '../../shared/aws-clients/sqs.js';
import { createS3BlobStore } from '../../shared/storage/s3-blob-store.js';
import { ARCHIVE_PREFIX, archiveKeyForIso } from '../../shared/webhook/notification-archive.js';
import { createReceiver } from '../../shared/webhook/receiver.js';
import { createSqsJobQueue } from '../../shared/queues/sqs-job-queue.js';
import type { BlobStore } from '../../shared/ports/blob-store.js';
import type { IdempotencyStore } from '../../shared/ports/idempotency-store.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';
import type { JobKind, JobMessage } from '../../shared/jobs/job-message.js';
import type { UnresolvedJob } from '../../shared/webhook/rule-matching.js';
import { loadConfiguration, type Io } from '../runtime.js';
import { EXIT_OK, UsageError, WorkFailedError } from '../errors.js';
import { awsOptionsFromCli, checkAwsSetup, explainAwsSetupError } from '../aws-session.js';

/** What the receiver accepts as an eventNotificationJobId (shared/webhook/notification-schema.ts), so every archived id can be replayed. */
export const EVENT_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** GETs in flight at once while searching day by day. */
const SEARCH_CONCURRENCY = 8;
const DAY_MS = 24 * 3600 * 1000;

export interface AwsNotificationReplayOptions {
  readonly ids: ReadonlyArray<string>;
  readonly date?: string;
  readonly bucket?: string;
  /** `--region`: the bucket's (and, for queue URLs of other hosts, the queues') region. */
  readonly region?: string;
  readonly json: boolean;
  /** How long the bucket keeps archived notifications (replay.ts's copy of report-bucket.ts `archiveDays`). */
  readonly archiveDays: number;
  /** Queue URL variable per kind (replay.ts's copy of QUEUE_URL_ENV). */
  readonly queueEnv: Readonly<Record<JobKind, string>>;
  /** Stack output per kind holding that URL (`<Kind>QueueUrl`). */
  readonly queueOutput: (kind: JobKind) => string;
  readonly queueArnFromUrl: (url: string, fallbackRegion: string) => { arn: string; region: string } | undefined;
  readonly now?: () => Date;
}

/** `YYYY-MM-DD` that is a real calendar day -> its ISO date-time at 00:00 UTC. */
function parseDay(value: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const iso = m ? `${value}T00:00:00.000Z` : '';
  if (!m || Number.isNaN(Date.parse(iso)) || new Date(iso).toISOString() !== iso) {
    throw new UsageError(`--date takes the UTC day the notification was received, as YYYY-MM-DD (got '${value}')`);
  }
  return iso;
}

/**
 * Keys the id may have, newest first: `--date`'s day only, else tomorrow (UTC) and every day back over the
 * archive's retention. One day more than the retention: S3 lifecycle expiry runs some time after the
 * object's age passes it, so the oldest day can still be there.
 */
function candidateKeys(id: string, now: Date, date: string | undefined, days: number): string[] {
  if (date !== undefined) return [archiveKeyForIso(id, date)];
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  // From tomorrow: a clock a little behind the receiver's, around midnight UTC, would miss today's first notifications.
  return Array.from({ length: days + 2 }, (_, i) => archiveKeyForIso(id, new Date(today + DAY_MS - i * DAY_MS).toISOString()));
}

/** The first key (in the given order) that exists, reading `SEARCH_CONCURRENCY` keys at a time. */
async function findFirst(store: BlobStore, bucket: string, keys: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Promise<{ key: string; document: Buffer } | undefined> {
  for (let from = 0; from < keys.length; from += SEARCH_CONCURRENCY) {
    const slice = keys.slice(from, from + SEARCH_CONCURRENCY);
    const found = await Promise.all(
      slice.map(async (key) => {
        try {
          return await store.getBytes(key);
        } catch (error) {
          throw explainAwsSetupError(error, env) ?? s3ReadError(error, bucket, key);
        }
      }),
    );
    const at = found.findIndex((body) => body !== undefined);
    if (at !== -1) return { key: slice[at]!, document: found[at]! };
  }
  return undefined;
}

/** A failed GetObject, said with the bucket and key, what S3 said, and what usually causes it. */
function s3ReadError(error: unknown, bucket: string, key: string): Error {
  const code = awsErrorCode(error);
  const status = awsHttpStatus(error);
  // What S3 (or the network) said: its code and message, or its status when the answer had no body (a HEAD-like 403).
  const message = error instanceof Error ? error.message.replace(/\.$/, '') : '';
  const said = message && message !== code && message !== 'UnknownError' ? `${code}: ${message}.` : `${code}${status ? ` (HTTP ${status})` : ''}.`;
  const where = `s3://${bucket}/${key}`;
  if (code === 'AccessDenied' || status === 403) {
    return new WorkFailedError(
      `S3 refused GetObject on ${where} (${said}) Nothing was sent. Usually the caller lacks s3:GetObject on arn:aws:s3:::${bucket}/${ARCHIVE_PREFIX}* or s3:ListBucket on the bucket (without ListBucket S3 answers 403 instead of 404 for a day that has no such notification; with --date only that day is read), or kms:Decrypt on the bucket's key.`,
      { cause: error },
    );
  }
  const hint: Record<string, string> = {
    SignatureDoesNotMatch: 'check AWS_SECRET_ACCESS_KEY',
    InvalidAccessKeyId: 'check AWS_ACCESS_KEY_ID (and AWS_SESSION_TOKEN for temporary credentials)',
    ExpiredToken: 'the temporary credentials expired: get new ones',
    RequestTimeTooSkewed: "this machine's clock is off: set it right",
    PermanentRedirect: 'the bucket is in another region: pass --region or set AWS_REGION to it',
    AuthorizationHeaderMalformed: 'the bucket is in another region: pass --region or set AWS_REGION to it',
    NoSuchBucket: 'check --bucket / BUCKET_NAME (stack output BucketName)',
  };
  const advice = hint[code] ?? (status === 301 ? 'the bucket is in another region: set AWS_REGION to it' : isRetryableAwsError(error) ? 'temporary: run the command again' : 'check the credentials, region and bucket');
  return new WorkFailedError(`reading ${where} failed (${said}) Nothing was sent; ${advice}.`, { cause: error });
}

/**
 * Replay sends nothing itself: it records what `Receiver.replay` would send, so that every queue URL the
 * matched jobs need is checked before the first message goes. (Checking the URLs of every kind the
 * configuration's rules can produce would refuse replays that need none of the missing kinds; letting
 * the real queue fail on a missing URL would leave the kinds before it sent.)
 */
class DeferredQueue implements JobQueue {
  readonly sends: Array<{ kind: JobKind; messages: ReadonlyArray<JobMessage> }> = [];
  async send(kind: JobKind, messages: ReadonlyArray<JobMessage>): Promise<void> {
    this.sends.push({ kind, messages });
  }
}

/**
 * The receiver wants an idempotency store, but `Receiver.replay` never claims (replaying is a deliberate
 * repeat of a notification whose id is already completed in the stack's table): nothing reaches the
 * deployed DynamoDB table, and a call here would be a bug.
 */
const neverCalled = async (): Promise<never> => {
  throw new Error('Receiver.replay does not use the idempotency store');
};
const replayIdempotency: IdempotencyStore = { claim: neverCalled, complete: neverCalled, release: neverCalled };

/** The partner id an archived document carries (documents from before it was kept have none). */
function archivedPartnerId(document: Buffer): boolean {
  try {
    return Number.isSafeInteger((JSON.parse(document.toString('utf8')) as { partnerId?: unknown }).partnerId);
  } catch {
    return false; // not JSON: Receiver.replay says so
  }
}

interface Replayed {
  readonly eventNotificationJobId: string;
  readonly archiveKey: string;
  readonly rules: ReadonlyArray<string>;
  readonly jobs: ReadonlyArray<{ kind: JobKind; job: string; jobId: string }>;
  readonly unresolved: ReadonlyArray<Pick<UnresolvedJob, 'rule' | 'job' | 'kind' | 'reason'>>;
  readonly sends: DeferredQueue['sends'];
}

export async function replayNotificationsOnAws(options: AwsNotificationReplayOptions, io: Io): Promise<number> {
  // ---- the command line and environment, before any request ----------------------------------
  const ids = [...new Set(options.ids)];
  for (const id of ids) if (!EVENT_ID.test(id)) throw new UsageError(`--notification takes an eventNotificationJobId (digits, as the receiver logs it; at most 64 of A-Z a-z 0-9 _ . -), got '${id}'`);
  const date = options.date !== undefined ? parseDay(options.date) : undefined;
  const bucket = options.bucket ?? io.env.BUCKET_NAME;
  if (!bucket) throw new UsageError('no bucket: pass --bucket NAME or set BUCKET_NAME (stack output BucketName, where the receiver archives notifications)');
  const partnerRaw = io.env.KALTURA_PARTNER_ID;
  if (partnerRaw !== undefined && partnerRaw !== '' && !/^\d+$/.test(partnerRaw)) throw new UsageError(`KALTURA_PARTNER_ID must be a partner id (digits), got '${partnerRaw}'`);
  const cliOptions = awsOptionsFromCli(options.region);
  const s3 = s3Client({ ...cliOptions, requestTimeoutMs: 10_000 });
  // Region and credentials now, before anything else: one line that says what to run when they are missing.
  const { region } = await checkAwsSetup(s3, io.env);
  const archive = createS3BlobStore({ bucket, client: s3 });

  // It must be the configuration the stack was deployed with: the rules decide the jobs and their ids.
  const { config } = await loadConfiguration(io.env, io.cwd);
  const { createCommandLogger } = await import('../../local/local-logger.js');
  const logger = createCommandLogger(io.env);
  const now = options.now ?? (() => new Date());

  // ---- find and match every notification; nothing is sent yet ------------------------------------
  // One id after another: at most SEARCH_CONCURRENCY requests in flight, however many ids are given.
  const found: Array<{ id: string; key: string; document: Buffer }> = [];
  for (const id of ids) {
    const hit = await findFirst(archive, bucket, candidateKeys(id, now(), date, options.archiveDays), io.env);
    if (!hit) {
      throw new WorkFailedError(
        date !== undefined
          ? `nothing sent: no archived notification ${id} at s3://${bucket}/${archiveKeyForIso(id, date)}; check the date (the UTC day it was received) or leave --date out to search the archive's ${options.archiveDays} days`
          : `nothing sent: no archived notification ${id} in s3://${bucket}/${ARCHIVE_PREFIX} from the last ${options.archiveDays + 1} days (the archive keeps ${options.archiveDays}); check the id, or pass --date if the bucket keeps notifications longer`,
      );
    }
    found.push({ id, ...hit });
  }
  // Documents archived before the receiver kept its partner id need the deployed one (it stands in for
  // a notification whose object has no partnerId, and so decides partner jobs and their ids).
  const withoutPartner = found.filter((f) => !archivedPartnerId(f.document)).map((f) => f.id);
  if (withoutPartner.length > 0 && !partnerRaw) {
    throw new UsageError(`nothing sent: notification${withoutPartner.length > 1 ? 's' : ''} ${withoutPartner.join(', ')} ${withoutPartner.length > 1 ? 'were' : 'was'} archived without the receiver's partner id; set KALTURA_PARTNER_ID to the partner id the stack was deployed with`);
  }
  const replayed: Replayed[] = [];
  for (const { id, key, document } of found) {
    const queue = new DeferredQueue();
    const receiver = createReceiver({
      config,
      partnerId: Number(partnerRaw) || 0, // used only for documents without their own (checked above)
      secrets: async () => [], // replay never verifies: the archive holds bodies verified on arrival
      queue,
      archive,
      idempotency: replayIdempotency,
      logger,
    });
    let match;
    try {
      match = await receiver.replay(document);
    } catch (error) {
      if (error instanceof ValidationError) throw new WorkFailedError(`s3://${bucket}/${key}: ${error.message}`);
      throw error;
    }
    replayed.push({
      eventNotificationJobId: id,
      archiveKey: key,
      rules: match.matchedRules,
      jobs: match.messages.map((m) => ({ kind: m.spec.kind, job: m.spec.name, jobId: m.jobId })),
      unresolved: match.unresolved.map((u) => ({ rule: u.rule, job: u.job, kind: u.kind, reason: u.reason })),
      sends: queue.sends,
    });
  }

  // ---- every queue the jobs need, checked before the first send -----------------------------------
  const kinds = [...new Set(replayed.flatMap((r) => r.sends.filter((s) => s.messages.length > 0).map((s) => s.kind)))];
  const missing = kinds.filter((kind) => !io.env[options.queueEnv[kind]]);
  if (missing.length > 0) {
    throw new UsageError(
      `nothing sent: the jobs need the ${missing.join(', ')} job queue${missing.length > 1 ? 's' : ''}; set ${missing.map((k) => `${options.queueEnv[k]} (stack output ${options.queueOutput(k)})`).join(', ')}`,
    );
  }
  const queues = new Map<JobKind, JobQueue>();
  const clients = new Map<string, ReturnType<typeof sqsClient>>();
  for (const kind of kinds) {
    const url = io.env[options.queueEnv[kind]]!;
    const parsed = options.queueArnFromUrl(url, region);
    if (!parsed) throw new UsageError(`${options.queueEnv[kind]} is not an SQS queue URL: '${url}' (expected https://sqs.<region>.amazonaws.com/<account>/<name>)`);
    // SQS signs per region: the queue URL's region wins over AWS_REGION (the bucket's).
    let client = clients.get(parsed.region);
    if (!client) {
      client = sqsClient({ ...cliOptions, region: parsed.region, requestTimeoutMs: 10_000 });
      clients.set(parsed.region, client);
    }
    queues.set(kind, createSqsJobQueue({ queueUrls: { [kind]: url } as Record<JobKind, string>, client }));
  }

  // ---- send, per notification and kind in the receiver's order ------------------------------------
  const sent: string[] = [];
  for (const r of replayed) {
    for (const s of r.sends) {
      try {
        await queues.get(s.kind)!.send(s.kind, s.messages);
      } catch (error) {
        const setup = explainAwsSetupError((error as { cause?: unknown }).cause ?? error, io.env);
        if (setup) throw setup;
        // Some jobs may have gone: say which, and that running the command again is safe.
        const already = sent.length > 0 ? `queued before it: ${sent.join('; ')}` : 'nothing was queued before it';
        throw new WorkFailedError(
          `sending notification ${r.eventNotificationJobId}'s ${s.kind} jobs failed (${error instanceof Error ? error.message : String(error)}); ${already}; some of these ${s.kind} jobs may have gone too. Running the same command again is safe: job ids are deterministic and the workers' effects are keyed by them.`,
          { cause: error },
        );
      }
      sent.push(`notification ${r.eventNotificationJobId} ${s.kind} (${s.messages.length})`);
    }
    if (!options.json) {
      io.out(`notification ${r.eventNotificationJobId} (s3://${bucket}/${r.archiveKey}): ${r.jobs.length} job(s) queued from rule(s) ${r.rules.join(', ') || '(none matched)'}${r.jobs.length > 0 ? ` on the ${[...new Set(r.jobs.map((j) => j.kind))].join(', ')} job queue(s)` : ''}`);
    }
    for (const u of r.unresolved) io.err(`kreports replay: notification ${r.eventNotificationJobId}: job ${u.rule}/${u.job} (${u.kind}) still cannot be built: ${u.reason} Replay again once the fixed rule is deployed.`);
  }
  if (options.json) io.out(JSON.stringify({ replayed: replayed.map(({ sends: _sends, ...rest }) => rest) }));
  return EXIT_OK;
}
