/**
 * Amazon SNS: publishes the alert's text (subject = title) with message attributes for filtering
 * subscriptions (`kind`, `severity`, `rule`, `job`).
 *
 * SNS speaks the AWS Query protocol (form-encoded POST, XML answers); we send `Publish` through the
 * small signed HTTP helper in `shared/aws/` instead of the AWS SDK, so a worker does not carry the
 * SDK in its bundle. Throttling, 5xx and network errors are retryable; NotFound, AuthorizationError,
 * InvalidParameter are permanent (wrong topic ARN or missing `sns:Publish` permission).
 */
import type { AlertMessage } from '../alert-message.js';
import { DestinationError, type AlertDestination } from './destination.js';
import { AwsServiceError, endpointFor, sendAws, type AwsHttpResponse } from '../../aws/aws-http.js';

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

/** The form body of a Query-protocol `Publish`. */
export function publishForm(input: SnsPublishInput): string {
  const form = new URLSearchParams({ Action: 'Publish', Version: '2010-03-31', TopicArn: input.topicArn, Message: input.message, Subject: snsSubject(input.subject) });
  Object.entries(input.attributes).forEach(([name, value], i) => {
    const n = i + 1;
    form.set(`MessageAttributes.entry.${n}.Name`, name);
    form.set(`MessageAttributes.entry.${n}.Value.DataType`, 'String');
    form.set(`MessageAttributes.entry.${n}.Value.StringValue`, value || '-');
  });
  return form.toString();
}

function parseQueryError(res: AwsHttpResponse): { code: string; message: string; details: Record<string, unknown> } {
  const xml = res.body.toString('utf8');
  const code = /<Code>([^<]+)<\/Code>/.exec(xml)?.[1] ?? `HTTP${res.status}`;
  const message = /<Message>([^<]*)<\/Message>/.exec(xml)?.[1] ?? '';
  return { code, message, details: {} };
}

/** The real publisher: region from the topic ARN, endpoint from `AWS_ENDPOINT_URL_SNS` or the public one. */
export function createSnsPublisher(options: { endpoint?: string; timeoutMs?: number } = {}): SnsPublisher {
  return async (input) => {
    const region = input.topicArn.split(':')[3] || undefined;
    const regionName = region ?? process.env.AWS_REGION ?? 'us-east-1';
    const url = new URL(options.endpoint ?? endpointFor('sns', regionName));
    await sendAws(
      { service: 'sns', region: regionName, timeoutMs: options.timeoutMs ?? 5000 },
      { method: 'POST', url, operation: 'Publish', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: publishForm(input) },
      parseQueryError,
    );
  };
}

let defaultPublisher: SnsPublisher | undefined;
export const publishToSns: SnsPublisher = (input) => (defaultPublisher ??= createSnsPublisher())(input);

const PERMANENT = new Set(['NotFound', 'NotFoundException', 'AuthorizationError', 'AuthorizationErrorException', 'InvalidParameter', 'InvalidParameterValue', 'InvalidClientTokenId', 'KMSDisabled', 'KMSDisabledException']);

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
        const code = error instanceof AwsServiceError ? error.code : ((error as { code?: string; name?: string })?.code ?? (error as Error)?.name ?? 'Error');
        const status = error instanceof AwsServiceError ? error.statusCode : undefined;
        const retryable = !PERMANENT.has(code) && (error instanceof AwsServiceError ? error.retryable : true);
        throw new DestinationError(options.name, `SNS Publish failed (${code})${retryable ? '; will retry' : ': check the topic ARN and the function role (sns:Publish)'}.`, {
          retryable,
          ...(status ? { status } : {}),
          cause: error,
        });
      }
    },
  };
}
