/** The `@aws-sdk/client-sqs` client, built as every AWS client of the project is (client-options.ts). */
import { SQSClient } from '@aws-sdk/client-sqs';
import { onePerEnvironment, sdkClientConfig, type AwsClientOptions } from './client-options.js';

export const SQS_REQUEST_TIMEOUT_MS = 10000;

/**
 * By default the SQS client sends each call to the host of its `QueueUrl`, even when an endpoint is
 * configured through `AWS_ENDPOINT_URL_SQS`/`AWS_ENDPOINT_URL` (only an `endpoint` option stops
 * that). An endpoint the operator configured on purpose (LocalStack, a VPC endpoint, tests) wins.
 */
function configuredEndpoint(options: AwsClientOptions, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(options.endpoint || env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL);
}

/** The execution environment's shared client with no options; a new client with options (tests, the CLI's regions). */
export const sqsClient: (options?: AwsClientOptions) => SQSClient = onePerEnvironment(
  (options) => new SQSClient({ ...sdkClientConfig(options, { requestTimeoutMs: SQS_REQUEST_TIMEOUT_MS }), ...(configuredEndpoint(options) ? { useQueueUrlAsEndpoint: false } : {}) }),
);
