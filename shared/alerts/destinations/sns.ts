/**
 * Amazon SNS: publishes the alert's text (subject = title) with message attributes for filtering
 * subscriptions (`kind`, `severity`, `rule`, `job`). The SDK is imported on first use only.
 *
 * Throttling, 5xx and network errors are retryable; NotFound / AuthorizationError / InvalidParameter
 * are permanent (wrong topic ARN or missing `sns:Publish` permission).
 */
import type { AlertMessage } from '../alert-message.js';
import { DestinationError, type AlertDestination } from './destination.js';

/** The part of `SNSClient` we use (tests pass a fake). */
export interface SnsSender {
  send(command: unknown): Promise<unknown>;
}

export interface SnsDestinationOptions {
  readonly name: string;
  readonly topicArn: string;
  readonly client?: SnsSender;
}

/** SNS subjects: at most 100 printable ASCII characters, no line breaks. */
export function snsSubject(title: string): string {
  const ascii = title.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
}

let sdk: Promise<typeof import('@aws-sdk/client-sns')> | undefined;
let sharedClient: SnsSender | undefined;

export async function publishToSns(client: SnsSender | undefined, topicArn: string, subject: string, text: string, attributes: Record<string, string>): Promise<void> {
  const mod = await (sdk ??= import('@aws-sdk/client-sns'));
  const sender = client ?? (sharedClient ??= new mod.SNSClient({}));
  await sender.send(
    new mod.PublishCommand({
      TopicArn: topicArn,
      Subject: snsSubject(subject),
      Message: text,
      MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v || '-' }])),
    }),
  );
}

export function createSnsDestination(options: SnsDestinationOptions): AlertDestination {
  return {
    name: options.name,
    type: 'sns',
    async send(message: AlertMessage) {
      try {
        await publishToSns(options.client, options.topicArn, message.title, message.text, { kind: message.kind, severity: message.severity, rule: message.rule, job: message.job });
      } catch (error) {
        const e = error as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
        const status = e.$metadata?.httpStatusCode;
        const permanent = ['NotFoundException', 'NotFound', 'AuthorizationErrorException', 'AuthorizationError', 'InvalidParameterException', 'InvalidParameter', 'KMSDisabledException'].includes(e.name ?? '');
        const retryable = !permanent && (Boolean(e.$retryable) || status === undefined || status >= 500 || status === 429 || /Throttl/.test(e.name ?? ''));
        throw new DestinationError(options.name, `SNS Publish failed (${e.name ?? 'Error'})${retryable ? '; will retry' : ': check the topic ARN and the function role (sns:Publish)'}.`, {
          retryable,
          ...(status !== undefined ? { status } : {}),
          cause: error,
        });
      }
    },
  };
}
