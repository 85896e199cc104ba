import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseCommandArgs } from '../args.js';
import { dataDirOf, loadConfiguration, readLocalStackInfo } from '../runtime.js';
import { EXIT_FAILED, EXIT_OK, UsageError, WorkFailedError } from '../errors.js';
import type { Command } from './types.js';
import type { Io } from '../runtime.js';
import type { JobKind } from '../../shared/jobs/job-message.js';

/** Kept here (not imported) so --help loads nothing heavy; the same list as JOB_KINDS. */
const JOB_KINDS: ReadonlyArray<JobKind> = ['check', 'export', 'microservice', 'live-health'];

const options = {
  list: { type: 'boolean' },
  kind: { type: 'string' },
  id: { type: 'string', multiple: true },
  all: { type: 'boolean' },
  notification: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  aws: { type: 'boolean' },
  'dlq-url': { type: 'string' },
  'queue-url': { type: 'string' },
  date: { type: 'string' },
  bucket: { type: 'string' },
  region: { type: 'string' },
} as const;

/** How many days the bucket keeps archived notifications: infra/constructs/report-bucket.ts `archiveDays` (default 90), not imported (aws-cdk-lib). */
const ARCHIVE_DAYS = 90;

/** Kept here (not imported from shared/runtime/lambda-env.ts, which loads zod) so --help stays light; the same names as DLQ_URL_ENV / QUEUE_URL_ENV. */
const DLQ_ENV: Record<JobKind, string> = { check: 'CHECK_DLQ_URL', export: 'EXPORT_DLQ_URL', microservice: 'MICROSERVICE_DLQ_URL', 'live-health': 'LIVE_HEALTH_DLQ_URL' };
const QUEUE_ENV: Record<JobKind, string> = { check: 'CHECK_QUEUE_URL', export: 'EXPORT_QUEUE_URL', microservice: 'MICROSERVICE_QUEUE_URL', 'live-health': 'LIVE_HEALTH_QUEUE_URL' };

/**
 * `https://sqs.<region>.amazonaws.com/<account>/<name>` (also `<region>.queue.amazonaws.com`, `.com.cn`)
 * -> `{arn: arn:<partition>:sqs:<region>:<account>:<name>, region}`. A URL of another host (LocalStack,
 * a VPC endpoint) keeps the path's account and name and takes the region from `fallbackRegion`.
 */
export function queueArnFromUrl(queueUrl: string, fallbackRegion: string): { arn: string; region: string } | undefined {
  let url: URL;
  try {
    url = new URL(queueUrl);
  } catch {
    return undefined;
  }
  const path = /^\/(\d{12})\/([A-Za-z0-9_-]{1,80}(?:\.fifo)?)\/?$/.exec(url.pathname);
  if (!path || !/^https?:$/.test(url.protocol)) return undefined;
  const host = url.hostname.toLowerCase();
  const region = /^sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1] ?? /^([a-z0-9-]+)\.queue\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1] ?? fallbackRegion;
  const partition = host.endsWith('.cn') || region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return { arn: `arn:${partition}:sqs:${region}:${path[1]}:${path[2]}`, region };
}

const HELP = `Usage:
  kreports replay --list [--kind KIND] [--json]          list dead letters (id, kind, reason)
  kreports replay --kind KIND --id ID [--id ID]...       re-queue dead letters
  kreports replay --kind KIND --all                      re-queue every dead letter of a kind
  kreports replay --notification EVENT_NOTIFICATION_JOB_ID
                                                         re-run an archived notification through the rules
  kreports replay --aws --kind KIND [--dlq-url URL] [--queue-url URL] [--json]
                                                         AWS: move the kind's dead-letter queue back to its job queue
  kreports replay --aws --list --kind KIND [--dlq-url URL] [--json]
                                                         AWS: how many messages wait in the kind's dead-letter queue
  kreports replay --aws --notification ID [--notification ID]... [--date YYYY-MM-DD] [--bucket NAME] [--json]
                                                         AWS: re-run a notification archived in the stack's bucket

Dead letters are jobs that failed permanently (DATA_DIR/dead-letters/<kind>/<id>.json, with their reason).
Re-queued jobs go to the local queues (DATA_DIR/queues): a running "kreports start" picks them up at once,
otherwise they run at its next start. A replayed dead letter is removed once it is queued again.
Archived notifications are the documents the receiver keeps, each with the body exactly as received
(DATA_DIR/bucket/archive/notifications/; in AWS the stack's bucket, with --aws);
replaying one skips the duplicate check on purpose and queues its jobs with the current configuration.

With --aws the deployed stack's queues are used instead (SQS StartMessageMoveTask, asynchronous: SQS
moves the messages over the next seconds to minutes). The dead-letter queue URL comes from --dlq-url or
the environment variable <KIND>_DLQ_URL (e.g. EXPORT_DLQ_URL; stack output <Kind>DeadLetterQueueUrl).
The destination is --queue-url or <KIND>_QUEUE_URL (the kind's job queue, as in the workers' environment);
without one, SQS returns messages to the queue they were dead-lettered from, which works only for messages
SQS moved there itself (maxReceiveCount), not for those a worker sent there with their reason.
AWS credentials and region come from the AWS SDK's standard chains, as for the aws CLI: AWS_PROFILE (a
profile of ~/.aws/config, SSO logins included), AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or an instance
or container role; --region or AWS_REGION or the profile's region (an SQS queue URL's own region wins).
AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL_S3 point at other endpoints.

With --aws --notification the archived notification is read from the stack's bucket (--bucket or
BUCKET_NAME; stack output BucketName): s3://<bucket>/archive/notifications/<yyyy>/<mm>/<dd>/<id>.json,
the UTC day it was received. Without --date the days are searched back from tomorrow over the archive's
${ARCHIVE_DAYS} days (and one more). Its jobs come from the configuration (REPORTING_CONFIG, as for the local
replay): use the one the stack was deployed with. The partner id comes from the archived document
(KALTURA_PARTNER_ID, as deployed, is needed only for documents archived before it was kept). They go to the
kinds' job queues, <KIND>_QUEUE_URL (e.g. EXPORT_QUEUE_URL; stack output <Kind>QueueUrl, e.g. ExportQueueUrl),
each needed only when a job of that kind is to be sent; nothing is sent unless every one needed is set, and
if SQS fails part way the error says what was already queued (running the command again is safe).
Same job ids as the first time: workers replace, not add.

KIND is one of: ${JOB_KINDS.join(', ')}.

Options:
  --date YYYY-MM-DD  with --aws --notification: read only that UTC day's archive
  --bucket NAME      with --aws --notification: the stack's bucket (default $BUCKET_NAME)
  --region REGION    with --aws: the stack's region (default AWS_REGION, then the profile's region)
  --json             machine-readable output on stdout
  -h, --help         show this help

Exit codes: 0 done, 1 nothing found to replay, queueing failed or AWS refused, 2 usage error (also a
missing bucket, queue URL, region or AWS credentials with --aws, an expired SSO session, or
KALTURA_PARTNER_ID for an old document).`;

async function findArchived(bucketRoot: string, eventId: string): Promise<string | undefined> {
  const base = join(bucketRoot, 'archive', 'notifications');
  const walk = async (dir: string, depth: number): Promise<string | undefined> => {
    let names: string[];
    try {
      names = (await readdir(dir)).sort().reverse();
    } catch {
      return undefined;
    }
    if (depth === 3) return names.includes(`${eventId}.json`) ? join(dir, `${eventId}.json`) : undefined;
    for (const name of names) {
      const found = await walk(join(dir, name), depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  return walk(base, 0);
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 're-queue dead letters or archived notifications',
  help: HELP,
  async run(args, io) {
    const { values, help } = parseCommandArgs('replay', args, options);
    if (help) return io.out(this.help), EXIT_OK;
    const kind = values.kind as JobKind | undefined;
    if (kind !== undefined && !JOB_KINDS.includes(kind)) throw new UsageError(`--kind must be one of ${JOB_KINDS.join(', ')} (got '${values.kind}')`);
    if (values.aws) return replayOnAws(values, kind, io);
    const modes = [values.list, values.id !== undefined || values.all, values.notification !== undefined].filter(Boolean).length;
    if (modes !== 1) throw new UsageError('choose one: --list, --kind KIND --id ID (or --all), or --notification ID. Run: kreports replay --help');
    if (values['dlq-url'] !== undefined || values['queue-url'] !== undefined) throw new UsageError('--dlq-url and --queue-url need --aws. Run: kreports replay --help');
    if (values.date !== undefined || values.bucket !== undefined) throw new UsageError('--date and --bucket need --aws --notification (locally every day under DATA_DIR/bucket is searched). Run: kreports replay --help');
    if (values.region !== undefined) throw new UsageError('--region goes with --aws (the local replay uses DATA_DIR). Run: kreports replay --help');

    const dataDir = dataDirOf(io.env, io.cwd);
    const { LocalDeadLetterSink } = await import('../../local/local-dead-letter-sink.js');
    const { LocalJobQueue } = await import('../../local/local-job-queue.js');
    const { createCommandLogger } = await import('../../local/local-logger.js');
    const sink = new LocalDeadLetterSink(dataDir);
    const running = readLocalStackInfo(dataDir);
    const where = running ? `the running kreports start (pid ${running.pid}) picks them up now` : 'they run at the next kreports start';

    if (values.list) {
      const letters = await sink.list(kind);
      if (values.json) io.out(JSON.stringify(letters.map(({ body, ...rest }) => ({ ...rest, bodyBytes: Buffer.byteLength(body) }))));
      else if (letters.length === 0) io.out(`no dead letters${kind ? ` of kind ${kind}` : ''} in ${join(dataDir, 'dead-letters')}`);
      else for (const l of letters) io.out(`${l.kind} ${l.id}  ${l.failedAt}  attempts ${l.attempts}  ${l.errorName}: ${l.reason}`);
      return EXIT_OK;
    }

    const logger = createCommandLogger(io.env);
    const queue = new LocalJobQueue({ dataDir, deadLetters: sink, logger });

    if (values.notification !== undefined) {
      const { config } = await loadConfiguration(io.env, io.cwd);
      const { createReceiver } = await import('../../shared/webhook/receiver.js');
      const { createFileIdempotencyStore } = await import('../../shared/idempotency/file-idempotency-store.js');
      const { createFileBlobStore } = await import('../../shared/storage/file-blob-store.js');
      const bucketRoot = join(dataDir, 'bucket');
      const receiver = createReceiver({
        config,
        partnerId: Number(io.env.KALTURA_PARTNER_ID) || running?.partnerId || 4242,
        secrets: async () => [], // replay never verifies: the archive holds bodies verified on arrival
        queue,
        archive: createFileBlobStore({ root: bucketRoot }),
        idempotency: createFileIdempotencyStore({ directory: join(dataDir, 'idempotency') }),
        logger,
      });
      const results = [];
      // Every notification is found before the first is replayed: a missing one leaves nothing queued.
      const files: Array<{ eventId: string; file: string }> = [];
      for (const eventId of values.notification) {
        if (!/^[A-Za-z0-9_.-]{1,64}$/.test(eventId)) throw new UsageError(`--notification takes an eventNotificationJobId (digits, as the receiver logs it; at most 64 of A-Z a-z 0-9 _ . -), got '${eventId}'`);
        const file = await findArchived(bucketRoot, eventId);
        if (!file) throw new WorkFailedError(`nothing queued: no archived notification ${eventId} under ${join(bucketRoot, 'archive', 'notifications')}; for one the deployed stack received, add --aws (kreports replay --help)`);
        files.push({ eventId, file });
      }
      for (const { eventId, file } of files) {
        const match = await receiver.replay(await readFile(file));
        const unresolved = match.unresolved.map((u) => ({ rule: u.rule, job: u.job, kind: u.kind, reason: u.reason }));
        results.push({ eventNotificationJobId: eventId, archiveKey: relative(bucketRoot, file), rules: match.matchedRules, jobs: match.messages.map((m) => ({ kind: m.spec.kind, rule: m.rule, job: m.spec.name, jobId: m.jobId })), unresolved });
        if (!values.json) io.out(`notification ${eventId}: ${match.messages.length} job(s) queued from rule(s) ${match.matchedRules.join(', ') || '(none matched)'}; ${where}`);
        // As with --aws: the other jobs went (exit 0), but a job that still cannot be built is said, not dropped.
        for (const u of unresolved) io.err(`kreports replay: notification ${eventId}: job ${u.rule}/${u.job} (${u.kind}) still cannot be built: ${u.reason}`);
      }
      // The dead letters of jobs that could not be built from these notifications, now queued: done with, as a
      // replayed dead letter is once it is queued again.
      const cleared: string[] = [];
      for (const letter of await sink.list()) {
        let body: { type?: unknown; rule?: unknown; job?: unknown; eventNotificationJobId?: unknown };
        try {
          body = JSON.parse(letter.body) as typeof body;
        } catch {
          continue;
        }
        if (body.type !== 'unbuildable-job' || typeof body.eventNotificationJobId !== 'string') continue;
        const replayedJob = results.some((r) => r.eventNotificationJobId === body.eventNotificationJobId && r.jobs.some((j) => j.rule === body.rule && j.job === body.job));
        if (!replayedJob) continue;
        await sink.remove(letter.kind, letter.id);
        cleared.push(`${letter.kind}/${letter.id}`);
      }
      if (cleared.length > 0 && !values.json) io.out(`removed the dead letter(s) of the jobs now queued: ${cleared.join(', ')}`);
      if (values.json) io.out(JSON.stringify({ replayed: results, clearedDeadLetters: cleared }));
      return EXIT_OK;
    }

    if (!kind) throw new UsageError('--kind is required with --id or --all');
    const letters = values.all ? await sink.list(kind) : await Promise.all((values.id ?? []).map(async (id) => (await sink.get(kind, id)) ?? id));
    const missing = letters.filter((l): l is string => typeof l === 'string');
    if (missing.length > 0) throw new WorkFailedError(`no dead letter ${missing.join(', ')} of kind ${kind} (see kreports replay --list)`);
    const found = letters.filter((l) => typeof l !== 'string');
    if (found.length === 0) {
      io.err(`kreports replay: no dead letters of kind ${kind}`);
      return EXIT_FAILED;
    }
    // A job the receiver could not build has no job message to re-queue: it is re-created by
    // replaying its notification once the rule is fixed.
    const unbuildable = found.flatMap((l) => {
      try {
        const body = JSON.parse(l.body) as { type?: unknown; eventNotificationJobId?: unknown };
        return body.type === 'unbuildable-job' ? [{ id: l.id, eventId: String(body.eventNotificationJobId) }] : [];
      } catch {
        return [];
      }
    });
    if (unbuildable.length > 0) {
      throw new WorkFailedError(
        `dead letter(s) ${unbuildable.map((u) => u.id).join(', ')} are jobs that could not be built from their notification; fix the rule, then run kreports replay --notification ${[...new Set(unbuildable.map((u) => u.eventId))].join(' --notification ')} and delete those files under DATA_DIR/dead-letters/${kind}/`,
      );
    }
    const replayed: string[] = [];
    for (const letter of found) {
      await queue.sendRaw(kind, [letter.body]);
      await sink.remove(kind, letter.id);
      replayed.push(letter.id);
    }
    if (values.json) io.out(JSON.stringify({ kind, replayed }));
    else io.out(`re-queued ${replayed.length} ${kind} job(s): ${replayed.join(', ')}; ${where}`);
    return EXIT_OK;
  },
};

type ReplayValues = ReturnType<typeof parseCommandArgs<typeof options>>['values'];

/**
 * `--aws`: StartMessageMoveTask (or GetQueueAttributes with --list) on the kind's dead-letter queue;
 * with --notification, an archived notification from the stack's bucket to the job queues.
 */
async function replayOnAws(values: ReplayValues, kind: JobKind | undefined, io: Io): Promise<number> {
  if (values.notification !== undefined) {
    if (values.list || kind !== undefined || values.id !== undefined || values.all || values['dlq-url'] !== undefined || values['queue-url'] !== undefined) {
      throw new UsageError('--aws --notification ID takes only --date, --bucket and --json (the kinds and queues come from the rules: <KIND>_QUEUE_URL). Run: kreports replay --help');
    }
    const { replayNotificationsOnAws } = await import('./replay-aws-notification.js');
    return replayNotificationsOnAws(
      { ids: values.notification, ...(values.date !== undefined ? { date: values.date } : {}), ...(values.bucket !== undefined ? { bucket: values.bucket } : {}), ...(values.region !== undefined ? { region: values.region } : {}), json: values.json === true, archiveDays: ARCHIVE_DAYS, queueEnv: QUEUE_ENV, queueOutput: (k) => `${pascal(k)}QueueUrl`, queueArnFromUrl },
      io,
    );
  }
  if (values.id !== undefined) {
    throw new UsageError('--aws moves a whole dead-letter queue: use --aws --kind KIND (no --id), or --aws --notification ID for an archived notification. Run: kreports replay --help');
  }
  if (values.date !== undefined || values.bucket !== undefined) throw new UsageError('--date and --bucket go with --aws --notification ID. Run: kreports replay --help');
  if (!kind) throw new UsageError(`--aws needs --kind (one of ${JOB_KINDS.join(', ')}). Run: kreports replay --help`);
  const dlqUrl = values['dlq-url'] ?? io.env[DLQ_ENV[kind]];
  if (!dlqUrl) throw new UsageError(`no dead-letter queue URL for ${kind}: pass --dlq-url or set ${DLQ_ENV[kind]} (stack output ${pascal(kind)}DeadLetterQueueUrl)`);
  const [{ awsOptionsFromCli, checkAwsSetup, explainAwsSetupError }, { sqsClient }, { GetQueueAttributesCommand, StartMessageMoveTaskCommand }, { describeAwsError }] = await Promise.all([
    import('../aws-session.js'),
    import('../../shared/aws-clients/sqs.js'),
    import('@aws-sdk/client-sqs'),
    import('../../shared/aws-clients/aws-errors.js'),
  ]);
  const cliOptions = awsOptionsFromCli(values.region);
  if (!queueArnFromUrl(dlqUrl, 'region')) throw new UsageError(`not an SQS queue URL: '${dlqUrl}' (expected https://sqs.<region>.amazonaws.com/<account>/<name>)`);
  // SQS signs per region: an AWS queue URL's own region wins; another host (LocalStack) takes --region / the SDK's chain.
  const urlRegion = queueArnFromUrl(dlqUrl, '')?.region || undefined;
  const sqs = sqsClient({ ...cliOptions, ...(urlRegion ? { region: urlRegion } : {}) });
  const { region } = await checkAwsSetup(sqs, io.env);
  const dlq = queueArnFromUrl(dlqUrl, region)!;
  const call = async <T,>(operation: string, send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      throw explainAwsSetupError(error, io.env) ?? new WorkFailedError(`${describeAwsError(operation, error)}`, { cause: error });
    }
  };

  if (values.list) {
    const out = await call('GetQueueAttributes', () => sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] })));
    const waiting = Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
    const inFlight = Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    if (values.json) io.out(JSON.stringify({ kind, dlqUrl, approximateNumberOfMessages: waiting, approximateNumberOfMessagesNotVisible: inFlight }));
    else io.out(`${kind} dead-letter queue ${dlq.arn}: about ${waiting} message(s) waiting${inFlight > 0 ? `, ${inFlight} being read` : ''}`);
    return EXIT_OK;
  }

  const queueUrl = values['queue-url'] ?? io.env[QUEUE_ENV[kind]];
  let destination: string | undefined;
  if (queueUrl) {
    destination = queueArnFromUrl(queueUrl, region)?.arn;
    if (!destination) throw new UsageError(`not an SQS queue URL: '${queueUrl}' (expected https://sqs.<region>.amazonaws.com/<account>/<name>)`);
  }
  const out = await call('StartMessageMoveTask', () => sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, ...(destination ? { DestinationArn: destination } : {}) })));
  const to = destination ?? 'the queue(s) they were dead-lettered from';
  if (values.json) io.out(JSON.stringify({ kind, sourceArn: dlq.arn, destinationArn: destination ?? null, taskHandle: out.TaskHandle ?? null }));
  else {
    io.out(`moving the ${kind} dead letters from ${dlq.arn} to ${to} (task ${out.TaskHandle ?? 'started'})`);
    io.out(`progress: aws sqs list-message-move-tasks --source-arn ${dlq.arn}`);
  }
  return EXIT_OK;
}

function pascal(kind: string): string {
  return kind.split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
}
