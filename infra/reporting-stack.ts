/**
 * The whole product on AWS (SPEC §1):
 *
 *   Kaltura -> HTTP API (POST /webhooks/kaltura) -> receiver -> SQS (check | export | microservice | live-health)
 *   EventBridge Scheduler (cron + timezone) -> scheduler -> the same queues
 *   queues -> worker Lambdas -> S3 (exports), alerts (Slack, Teams, e-mail, SNS, ...)
 *
 * with one DynamoDB table (idempotency + alert state), Secrets Manager for every secret, and
 * CloudWatch alarms to an operator SNS topic. Every function gets the same environment
 * (shared/runtime/lambda-env.ts: names and URLs only, never a secret value) and the configuration,
 * validated at synth, bundled as JSON.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, CfnOutput, CfnParameter, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { ReportingConfig, SecretRef } from '../shared/config/schema.js';
import { JOB_KINDS, type JobKind } from '../shared/jobs/job-message.js';
import { DLQ_URL_ENV, QUEUE_URL_ENV, type LambdaEnvKey } from '../shared/runtime/lambda-env.js';
import { BUNDLED_CONFIG_FILE, LAMBDA_TASK_ROOT } from './bundling.js';
import { writeBundledConfig } from './config-asset.js';
import { RECEIVER, SCHEDULER, WORKERS, visibilityTimeoutFor } from './job-kinds.js';
import { ReportingAlarms } from './constructs/alarms.js';
import { ReportingDashboard } from './constructs/dashboard.js';
import { JobQueue } from './constructs/job-queue.js';
import { OperatorTopic } from './constructs/operator-topic.js';
import { ARCHIVE_PREFIX, ReportBucket } from './constructs/report-bucket.js';
import { ReportingFunction, StackSettingError } from './constructs/reporting-function.js';
import { ReportingSchedules } from './constructs/schedules.js';
import { ReportingSecrets } from './constructs/secrets.js';
import { StateTable } from './constructs/state-table.js';
import { WebhookApi } from './constructs/webhook-api.js';
import { QueueWorker } from './constructs/worker-function.js';
import { acknowledgeNagFindings } from './nag-acknowledgements.js';

const here = dirname(fileURLToPath(import.meta.url));
export const PROJECT_ROOT = resolve(here, '..');
export const DEFAULT_FUNCTIONS_DIR = join(PROJECT_ROOT, 'functions');
export const DEFAULT_KALTURA_SERVICE_URL = 'https://www.kaltura.com/api_v3';

export interface KalturaEndpointProps {
  /** API v3 base URL. Default https://www.kaltura.com/api_v3. */
  readonly serviceUrl?: string;
  /** Partner id (digits). Unset: the template gets a required `KalturaPartnerId` parameter. */
  readonly partnerId?: string | number;
  /** Reports Microservice base URL; unset = derived by the client from the region. */
  readonly reportsUrl?: string;
}

export interface ReportingStackProps extends StackProps {
  /** The validated configuration (loadConfigFile). */
  readonly config: ReportingConfig;
  /** Where the functions' entry points live (`<dir>/<name>/index.ts`). Default `functions/`. Tests use stubs. */
  readonly functionsDir?: string;
  readonly kaltura: KalturaEndpointProps;
  /** Import existing secrets by name instead of creating placeholders. */
  readonly kalturaCredentialsSecretName?: string;
  readonly webhookSecretsSecretName?: string;
  /** Operator e-mail subscribed to the alarm topic. */
  readonly operatorEmail?: string;
  /** Log retention of every function and the API access logs. Default one month. */
  readonly logRetention?: RetentionDays;
  /** Webhook stage throttling. Default 50 req/s steady, burst 100. */
  readonly apiRateLimit?: number;
  readonly apiBurstLimit?: number;
  /** Days raw notifications stay in `archive/` (replay window). Default 90. */
  readonly archiveDays?: number;
  /** Create the schedules enabled. Default true. */
  readonly schedulesEnabled?: boolean;
}

export class ReportingStack extends Stack {
  readonly workers: Record<JobKind, QueueWorker>;
  readonly receiver: ReportingFunction;
  readonly scheduler: ReportingFunction;
  readonly webhookApi: WebhookApi;
  readonly reportBucket: ReportBucket;
  readonly stateTable: StateTable;
  readonly secrets: ReportingSecrets;
  readonly operatorTopic: OperatorTopic;
  readonly schedulesDeadLetterQueue: Queue;
  readonly alarms: ReportingAlarms;
  readonly bundledConfigFile: string;

  constructor(scope: Construct, id: string, props: ReportingStackProps) {
    super(scope, id, {
      description: 'kaltura-reporting: Kaltura webhooks and schedules to report checks, alerts and CSV exports',
      ...props,
    });
    const { config } = props;
    const functionsDir = props.functionsDir ?? DEFAULT_FUNCTIONS_DIR;
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;

    // ---- state, storage, secrets, operator topic ------------------------------------------
    this.reportBucket = new ReportBucket(this, 'Reports', { archiveDays: props.archiveDays });
    this.stateTable = new StateTable(this, 'State');
    this.secrets = new ReportingSecrets(this, 'Secrets', {
      kalturaCredentialsSecretName: props.kalturaCredentialsSecretName,
      webhookSecretsSecretName: props.webhookSecretsSecretName,
    });
    this.operatorTopic = new OperatorTopic(this, 'Operator', { email: props.operatorEmail });

    // ---- queues (created first: every function's environment names all of them) -----------
    const jobQueues = Object.fromEntries(
      JOB_KINDS.map((kind) => {
        const settings = WORKERS[kind];
        return [kind, new JobQueue(this, `${pascal(kind)}Jobs`, { visibilityTimeout: visibilityTimeoutFor(settings), maxReceiveCount: settings.maxReceiveCount })];
      }),
    ) as Record<JobKind, JobQueue>;
    this.schedulesDeadLetterQueue = new Queue(this, 'ScheduleDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    // ---- environment: names and URLs only ---------------------------------------------------
    const environment: Partial<Record<LambdaEnvKey, string>> & Record<string, string> = {
      REPORTING_CONFIG_PATH: `${LAMBDA_TASK_ROOT}/${BUNDLED_CONFIG_FILE}`,
      BUCKET_NAME: this.reportBucket.bucket.bucketName,
      STATE_TABLE_NAME: this.stateTable.table.tableName,
      OPERATOR_TOPIC_ARN: this.operatorTopic.topic.topicArn,
      KALTURA_SERVICE_URL: remoteUrl('Kaltura service URL (kalturaServiceUrl / KALTURA_SERVICE_URL)', props.kaltura.serviceUrl ?? DEFAULT_KALTURA_SERVICE_URL),
      KALTURA_PARTNER_ID: this.partnerId(props.kaltura.partnerId),
      KALTURA_CREDENTIALS_SECRET: this.secrets.kalturaCredentials.name,
      WEBHOOK_SECRETS_SECRET: this.secrets.webhookSecrets.name,
      LOG_LEVEL: 'info',
    };
    if (props.kaltura.reportsUrl) environment.KALTURA_REPORTS_URL = remoteUrl('Reports Microservice URL (kalturaReportsUrl / KALTURA_REPORTS_URL)', props.kaltura.reportsUrl);
    for (const kind of JOB_KINDS) {
      environment[QUEUE_URL_ENV[kind]] = jobQueues[kind].queue.queueUrl;
      environment[DLQ_URL_ENV[kind]] = jobQueues[kind].deadLetterQueue.queueUrl;
    }

    this.bundledConfigFile = writeBundledConfig(config);
    const common = {
      functionsDir,
      environment,
      bundledConfigFile: this.bundledConfigFile,
      logRetention,
      projectRoot: PROJECT_ROOT,
    };

    // ---- functions ------------------------------------------------------------------------
    this.receiver = new ReportingFunction(this, 'Receiver', {
      ...common,
      functionName: RECEIVER.functionName,
      description: 'kaltura-reporting webhook receiver: verify signature, match rules, queue jobs',
      timeout: RECEIVER.timeout,
      memorySize: RECEIVER.memorySize,
    });
    this.workers = Object.fromEntries(
      JOB_KINDS.map((kind) => [kind, new QueueWorker(this, `${pascal(kind)}Worker`, { ...common, settings: WORKERS[kind], jobQueue: jobQueues[kind] })]),
    ) as Record<JobKind, QueueWorker>;
    this.scheduler = new ReportingFunction(this, 'Scheduler', {
      ...common,
      functionName: SCHEDULER.functionName,
      description: 'kaltura-reporting scheduler: compute the period and fan out one job per export',
      timeout: SCHEDULER.timeout,
      memorySize: SCHEDULER.memorySize,
    });
    // EventBridge Scheduler invokes asynchronously: Lambda retries a failed run twice, then the
    // event goes to the schedules' dead-letter queue with the error (replayable).
    this.scheduler.fn.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.schedulesDeadLetterQueue),
    });

    // ---- grants (least privilege: every permission a function has is listed here) ----------
    const bucket = this.reportBucket.bucket;
    const table = this.stateTable.table;
    const receiver = this.receiver.fn;
    const worker = (kind: JobKind) => this.workers[kind].function.fn;

    // Receiver: verify (webhook secrets), deduplicate (table), archive the raw body, queue jobs.
    this.secrets.webhookSecrets.secret.grantRead(receiver);
    table.grantReadWriteData(receiver);
    bucket.grantPut(receiver, `${ARCHIVE_PREFIX}*`);
    for (const kind of JOB_KINDS) {
      jobQueues[kind].queue.grantSendMessages(receiver);
      // A matched job that cannot be built from the notification is dead-lettered with its reason.
      jobQueues[kind].deadLetterQueue.grantSendMessages(receiver);
    }

    // Scheduler: fan out jobs to the queues.
    for (const kind of JOB_KINDS) jobQueues[kind].queue.grantSendMessages(this.scheduler.fn);

    // Every worker: Kaltura credentials. (Permanent failures go to its own dead-letter queue: QueueWorker.)
    for (const kind of JOB_KINDS) this.secrets.kalturaCredentials.secret.grantRead(worker(kind));
    // Alert workers: alert state (compare-and-set per rule and subject) and operator notices.
    for (const kind of ['check', 'live-health'] as const) {
      table.grantReadWriteData(worker(kind));
      this.operatorTopic.topic.grantPublish(worker(kind));
    }
    // Every worker re-enqueues its own job with an SQS delay: live health watches and microservice jobs to poll,
    // and any job Kaltura asked to back off (429, 503 + Retry-After; shared/queues/job-batch-processor.ts).
    for (const kind of JOB_KINDS) jobQueues[kind].queue.grantSendMessages(worker(kind));
    // Exports and microservice results: streamed multipart uploads (and reads) under the output prefix only.
    const outputPattern = `${config.output.prefix}*`;
    for (const kind of ['export', 'microservice'] as const) {
      bucket.grantPut(worker(kind), outputPattern);
      bucket.grantRead(worker(kind), outputPattern);
    }
    // Alert workers: destination secrets and SNS destinations named by the configuration; the export
    // worker too when a summary job sends its headline to destinations (docs/exports.md, "Weekly summary").
    this.grantDestinations(config, [worker('check'), worker('live-health'), ...(hasSummaryDestinations(config) ? [worker('export')] : [])]);

    // ---- API, schedules, alarms -----------------------------------------------------------
    this.webhookApi = new WebhookApi(this, 'Webhook', {
      receiver,
      rateLimit: props.apiRateLimit ?? 50,
      burstLimit: props.apiBurstLimit ?? 100,
      logRetention,
    });
    new ReportingSchedules(this, 'Schedules', {
      schedules: config.schedules,
      scheduler: this.scheduler.fn,
      deadLetterQueue: this.schedulesDeadLetterQueue,
      enabled: props.schedulesEnabled,
    });
    const functions: Array<{ label: string; fn: IFunction }> = [
      { label: 'receiver', fn: receiver },
      ...JOB_KINDS.map((kind) => ({ label: WORKERS[kind].functionName, fn: worker(kind) })),
      { label: 'scheduler', fn: this.scheduler.fn },
    ];
    this.alarms = new ReportingAlarms(this, 'Alarms', {
      topic: this.operatorTopic.topic,
      deadLetterQueues: [
        ...JOB_KINDS.map((kind) => ({ label: `${kind}-jobs`, queue: jobQueues[kind].deadLetterQueue })),
        { label: 'schedules', queue: this.schedulesDeadLetterQueue },
      ],
      queues: JOB_KINDS.map((kind) => ({ label: `${kind}-jobs`, queue: jobQueues[kind].queue, maxAge: WORKERS[kind].oldestMessageAlarm })),
      functions,
      api: this.webhookApi.api,
    });

    const dashboard = new ReportingDashboard(this, 'Dashboard', {
      api: this.webhookApi.api,
      queues: Object.fromEntries(JOB_KINDS.map((k) => [k, { queue: jobQueues[k].queue, deadLetterQueue: jobQueues[k].deadLetterQueue }])) as Record<JobKind, { queue: Queue; deadLetterQueue: Queue }>,
      schedulesDeadLetterQueue: this.schedulesDeadLetterQueue,
      functions,
    });

    // ---- outputs --------------------------------------------------------------------------
    new CfnOutput(this, 'WebhookUrl', { value: this.webhookApi.webhookUrl, description: 'Register it in Kaltura: npx kreports setup-webhook --url <this>' });
    new CfnOutput(this, 'BucketName', { value: bucket.bucketName, description: 'Exports, manifests and archived notifications' });
    new CfnOutput(this, 'OperatorTopicArn', { value: this.operatorTopic.topic.topicArn, description: 'Alarms and operator notices: subscribe to it' });
    new CfnOutput(this, 'KalturaCredentialsSecretName', { value: this.secrets.kalturaCredentials.name, description: 'Fill it: docs/deploy.md' });
    new CfnOutput(this, 'WebhookSecretsSecretName', { value: this.secrets.webhookSecrets.name, description: 'Fill it: docs/deploy.md' });
    new CfnOutput(this, 'DashboardUrl', { value: dashboard.url, description: 'CloudWatch dashboard: traffic, queues, dead letters, errors' });
    new CfnOutput(this, 'StateTableName', { value: table.tableName });
    for (const kind of JOB_KINDS) {
      // kreports replay --aws --notification sends to the job queues: <KIND>_QUEUE_URL, as in the functions' environment.
      new CfnOutput(this, `${pascal(kind)}QueueUrl`, { value: jobQueues[kind].queue.queueUrl, description: `The ${kind} job queue (${QUEUE_URL_ENV[kind]} for kreports replay --aws)` });
      new CfnOutput(this, `${pascal(kind)}DeadLetterQueueUrl`, { value: jobQueues[kind].deadLetterQueue.queueUrl, description: `Permanently failed ${kind} jobs` });
    }
    new CfnOutput(this, 'ScheduleDeadLetterQueueUrl', { value: this.schedulesDeadLetterQueue.queueUrl, description: 'Schedule runs that could not be delivered or failed' });

    acknowledgeNagFindings(this, config.output.prefix);
  }

  private partnerId(value: string | number | undefined): string {
    if (value !== undefined) {
      if (!/^\d+$/.test(String(value))) throw new StackSettingError(`Kaltura partner id "${value}" must be digits only (kalturaPartnerId / KALTURA_PARTNER_ID).`);
      return String(value);
    }
    return new CfnParameter(this, 'KalturaPartnerId', {
      type: 'String',
      allowedPattern: '^\\d+$',
      constraintDescription: 'the Kaltura partner id: digits only',
      description: 'Kaltura partner id (KMC > Settings > Integration Settings). Set at synth with -c kalturaPartnerId=... or KALTURA_PARTNER_ID to bake it in.',
    }).valueAsString;
  }

  /** Read access to every `{secret: ...}` the destinations use; publish to SNS destinations. */
  private grantDestinations(config: ReportingConfig, grantees: IFunction[]): void {
    const refs = new Map<string, SecretRef & { secret: string }>();
    const usedBy = destinationUsers(config);
    for (const [name, destination] of Object.entries(config.destinations)) {
      const users = usedBy.get(name) ?? [];
      const use = users.length > 0 ? `used by ${users.join(', ')}` : 'not used by any job';
      const secretRefs: SecretRef[] = [];
      if ('url' in destination) secretRefs.push(destination.url);
      if ('signingSecret' in destination) secretRefs.push(destination.signingSecret);
      for (const ref of secretRefs) {
        if ('secret' in ref) refs.set(ref.secret, ref);
        else {
          Annotations.of(this).addWarningV2(
            'kreports:env-secret-ref',
            `destination "${name}" (${use}) reads its secret from environment variable ${ref.env}; Lambdas never get secret values in their environment, so in AWS it fails until it uses {secret: <Secrets Manager name>}.`,
          );
        }
      }
      if (destination.type === 'local' && users.length > 0) {
        Annotations.of(this).addWarningV2(
          'kreports:local-destination',
          `destination "${name}" (${use}) is the local alert sink (DATA_DIR/alerts.jsonl): it exists only under npm start. In AWS point these jobs at Slack, Teams, e-mail, a webhook or SNS.`,
        );
      }
      if (destination.type === 'sns') {
        const topic = Topic.fromTopicArn(this, `SnsDestination-${name}`, destination.topicArn);
        for (const fn of grantees) topic.grantPublish(fn);
      }
    }
    let i = 0;
    for (const secretName of refs.keys()) {
      const id = `DestinationSecret${i++}`;
      const secret: ISecret = !secretName.startsWith('arn:')
        ? Secret.fromSecretNameV2(this, id, secretName)
        : /-[A-Za-z0-9]{6}$/.test(secretName)
          ? Secret.fromSecretCompleteArn(this, id, secretName)
          : Secret.fromSecretPartialArn(this, id, secretName);
      for (const fn of grantees) secret.grantRead(fn);
    }
  }
}

/** A URL the Lambdas can reach: absolute http(s), not this machine (a local simulator URL left in the shell). */
function remoteUrl(what: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new StackSettingError(`${what} "${value}" is not an absolute URL such as ${DEFAULT_KALTURA_SERVICE_URL}.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new StackSettingError(`${what} "${value}" must be an http(s) URL.`);
  if (/^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|0\.0\.0\.0)$/i.test(url.hostname)) {
    throw new StackSettingError(`${what} "${value}" is on this machine (the local simulator?); Lambdas cannot reach it. Unset it or pass -c kalturaServiceUrl=${DEFAULT_KALTURA_SERVICE_URL}.`);
  }
  return value;
}

/** Destination name -> the jobs (`rule/job`) that alert to it. */
function destinationUsers(config: ReportingConfig): Map<string, string[]> {
  const users = new Map<string, string[]>();
  const visit = (owner: string, jobs: ReportingConfig['rules'][number]['jobs']) => {
    for (const job of jobs) {
      const destinations = job.kind === 'check' || job.kind === 'live-health' ? job.destinations : job.kind === 'export' && job.source.type === 'summary' ? (job.source.destinations ?? []) : [];
      for (const d of destinations) users.set(d, [...(users.get(d) ?? []), `${owner}/${job.name}`]);
    }
  };
  for (const rule of config.rules) visit(rule.name, rule.jobs);
  for (const schedule of config.schedules) visit(schedule.name, schedule.jobs);
  return users;
}

/** Whether any summary job names destinations (then the export worker sends to them). */
function hasSummaryDestinations(config: ReportingConfig): boolean {
  return [...config.rules, ...config.schedules].some((owner) => owner.jobs.some((job) => job.kind === 'export' && job.source.type === 'summary' && (job.source.destinations?.length ?? 0) > 0));
}

function pascal(kind: string): string {
  return kind.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
}
