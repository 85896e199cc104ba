/** The `@aws-sdk/client-sns` client, built as every AWS client of the project is (client-options.ts). */
import { SNSClient } from '@aws-sdk/client-sns';
import { onePerEnvironment, sdkClientConfig, type AwsClientOptions } from './client-options.js';

export const SNS_REQUEST_TIMEOUT_MS = 5000;

/** The execution environment's shared client with no options; a new client with options (tests, the CLI's regions). */
export const snsClient: (options?: AwsClientOptions) => SNSClient = onePerEnvironment((options) => new SNSClient(sdkClientConfig(options, { requestTimeoutMs: SNS_REQUEST_TIMEOUT_MS })));
