/**
 * Amazon SNS: publishes the alert's text (subject = title) with message attributes for filtering
 * subscriptions (`kind`, `severity`, `rule`, `job`), through `@aws-sdk/client-sns` (its client is
 * loaded on the first publish: most deployments never alert to SNS). Throttling, 5xx and network
 * errors are retryable; NotFound, AuthorizationError, InvalidParameter are permanent (wrong topic
 * ARN or missing `sns:Publish` permission).
 */
import type { AlertMessage } from '../alert-message.js';
import { DestinationError, type AlertDestination } from './destination.js';
import { awsErrorCode, awsHttpStatus, isRetryableAwsError } from '../../aws-clients/aws-errors.js';

export interface SnsPublishInput {
  readonly topicArn: string;
  readonly subject: string;
  readonly message: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** Publishes one message; the default goes to SNS itself. Tests pass a fake. */
export type SnsPublisher = (input: SnsPublishInput) => Promise<void>;

/** SNS subjects: at most 100 printable ASCII characters, no line breaks. */
export function snsSubject(title: string): string {
  const ascii = title.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
}

/** The real publisher: the SNS client of the topic's region (from its ARN), created once per region. */
export function createSnsPublisher(options: { endpoint?: string } = {}): SnsPublisher {
  const clients = new Map<string, import('@aws-sdk/client-sns').SNSClient>();
  return async (input) => {
    const [{ PublishCommand }, { snsClient }] = await Promise.all([import('@aws-sdk/client-sns'), import('../../aws-clients/sns.js')]);
    const region = input.topicArn.split(':')[3] || undefined;
    const key = region ?? '';
    let client = clients.get(key);
    if (!client) {
      client = snsClient({ ...(region ? { region } : {}), ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
      clients.set(key, client);
    }
    await client.send(
      new PublishCommand({
        TopicArn: input.topicArn,
        Message: input.message,
        Subject: snsSubject(input.subject),
        MessageAttributes: Object.fromEntries(Object.entries(input.attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value || '-' }])),
      }),
    );
  };
}

let defaultPublisher: SnsPublisher | undefined;
export const publishToSns: SnsPublisher = (input) => (defaultPublisher ??= createSnsPublisher())(input);

const PERMANENT = new Set(['NotFound', 'NotFoundException', 'AuthorizationError', 'AuthorizationErrorException', 'InvalidParameter', 'InvalidParameterException', 'InvalidParameterValue', 'InvalidParameterValueException', 'InvalidClientTokenId', 'KMSDisabled', 'KMSDisabledException']);

export interface SnsDestinationOptions {
  readonly name: string;
  readonly topicArn: string;
  readonly publish?: SnsPublisher;
}

export function createSnsDestination(options: SnsDestinationOptions): AlertDestination {
  const publish = options.publish ?? publishToSns;
  return {
    name: options.name,
    type: 'sns',
    async send(message: AlertMessage) {
      try {
        await publish({ topicArn: options.topicArn, subject: message.title, message: message.text, attributes: { kind: message.kind, severity: message.severity, rule: message.rule, job: message.job } });
      } catch (error) {
        const code = awsErrorCode(error);
        const status = awsHttpStatus(error);
        const retryable = !PERMANENT.has(code) && isRetryableAwsError(error);
        throw new DestinationError(options.name, `SNS Publish failed (${code})${retryable ? '; will retry' : ': check the topic ARN and the function role (sns:Publish)'}.`, {
          retryable,
          ...(status ? { status } : {}),
          cause: error,
        });
      }
    },
  };
}
