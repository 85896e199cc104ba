/**
 * The environment every Lambda gets from the CDK stack (infra/), validated at cold start so a
 * misconfigured deployment fails loudly with the variable's name instead of half-working.
 * Secrets are never in these values: only the *names* of Secrets Manager secrets.
 *
 * Each function reads only the variables it needs through `readLambdaEnv(keys)`.
 */
import { z } from '../validation/zod.js';
import { formatIssues } from '../validation/format-issues.js';
import { ValidationError } from '../errors/base-error.js';
import { JOB_KINDS, type JobKind } from '../jobs/job-message.js';

const url = () => z.url();
const name = () => z.string().check(z.minLength(1));

export const LambdaEnvSchema = z.object({
  /** Path of the validated configuration JSON bundled with the function. */
  REPORTING_CONFIG_PATH: z._default(name(), 'reporting-config.json'),
  CHECK_QUEUE_URL: url(),
  EXPORT_QUEUE_URL: url(),
  MICROSERVICE_QUEUE_URL: url(),
  LIVE_HEALTH_QUEUE_URL: url(),
  /** Dead-letter queues: a worker sends a permanently failed job there itself, with its reason. */
  CHECK_DLQ_URL: url(),
  EXPORT_DLQ_URL: url(),
  MICROSERVICE_DLQ_URL: url(),
  LIVE_HEALTH_DLQ_URL: url(),
  /** S3 bucket for exports, manifests and the notification archive. */
  BUCKET_NAME: name(),
  /** DynamoDB table (pk: string `pk`, TTL attribute `expiresAt`) for idempotency keys and alert state. */
  STATE_TABLE_NAME: name(),
  /** SNS topic for operator notifications (alarms, permanent destination errors). */
  OPERATOR_TOPIC_ARN: name(),
  KALTURA_SERVICE_URL: url(),
  KALTURA_PARTNER_ID: z.pipe(z.string().check(z.regex(/^\d+$/)), z.transform(Number)),
  KALTURA_REPORTS_URL: z.optional(url()),
  /** Secrets Manager secret (JSON): `{"adminSecret": "...", "appTokenId": "...", "appToken": "...", "appTokenHashType": "SHA256"}`. */
  KALTURA_CREDENTIALS_SECRET: name(),
  /** Secrets Manager secret (JSON): `{"secrets": ["current", "previous"]}` — accepted X-KALTURA-SIGNATURE secrets. */
  WEBHOOK_SECRETS_SECRET: name(),
});
export type LambdaEnv = z.infer<typeof LambdaEnvSchema>;
export type LambdaEnvKey = keyof LambdaEnv;

export function readLambdaEnv<K extends LambdaEnvKey>(keys: ReadonlyArray<K>, env: NodeJS.ProcessEnv = process.env): Pick<LambdaEnv, K> {
  // The mask type is loosened on purpose: zod/mini's pick wants literal keys, ours are a generic list.
  const mask = Object.fromEntries(keys.map((k) => [k, true])) as Record<LambdaEnvKey, true>;
  const picked = z.pick(LambdaEnvSchema, mask);
  const parsed = picked.safeParse(env);
  if (!parsed.success) {
    const details = formatIssues('Lambda environment', parsed.error.issues);
    throw new ValidationError(`The function is misconfigured: ${details.join('; ')}. Redeploy the stack (npm run deploy).`, details);
  }
  return parsed.data as Pick<LambdaEnv, K>;
}

export const QUEUE_URL_ENV = {
  check: 'CHECK_QUEUE_URL',
  export: 'EXPORT_QUEUE_URL',
  microservice: 'MICROSERVICE_QUEUE_URL',
  'live-health': 'LIVE_HEALTH_QUEUE_URL',
} as const satisfies Record<JobKind, LambdaEnvKey>;

export const DLQ_URL_ENV = {
  check: 'CHECK_DLQ_URL',
  export: 'EXPORT_DLQ_URL',
  microservice: 'MICROSERVICE_DLQ_URL',
  'live-health': 'LIVE_HEALTH_DLQ_URL',
} as const satisfies Record<JobKind, LambdaEnvKey>;

/** Every job queue's and dead-letter queue's URL variable: what a function that sends or dead-letters jobs of any kind reads. */
export const JOB_QUEUE_ENV_KEYS = [...JOB_KINDS.map((k) => QUEUE_URL_ENV[k]), ...JOB_KINDS.map((k) => DLQ_URL_ENV[k])];

/** `{check: <url>, export: <url>, …}` from the environment read with `readLambdaEnv`, by `QUEUE_URL_ENV` or `DLQ_URL_ENV`. */
export function urlsByKind(env: object, names: Readonly<Record<JobKind, string>>): Record<JobKind, string> {
  return Object.fromEntries(JOB_KINDS.map((k) => [k, (env as Record<string, unknown>)[names[k]] as string])) as Record<JobKind, string>;
}
