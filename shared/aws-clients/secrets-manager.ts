/** The `@aws-sdk/client-secrets-manager` client, built as every AWS client of the project is (client-options.ts). */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { onePerEnvironment, sdkClientConfig, type AwsClientOptions } from './client-options.js';

export const SECRETS_MANAGER_REQUEST_TIMEOUT_MS = 5000;

/** The execution environment's shared client with no options; a new client with options (tests, the CLI's regions). */
export const secretsManagerClient: (options?: AwsClientOptions) => SecretsManagerClient = onePerEnvironment((options) => new SecretsManagerClient(sdkClientConfig(options, { requestTimeoutMs: SECRETS_MANAGER_REQUEST_TIMEOUT_MS })));
