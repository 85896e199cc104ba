/** The `@aws-sdk/client-dynamodb` client, built as every AWS client of the project is (client-options.ts). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { onePerEnvironment, sdkClientConfig, type AwsClientOptions } from './client-options.js';

export const DYNAMODB_REQUEST_TIMEOUT_MS = 5000;

/** The execution environment's shared client with no options; a new client with options (tests, the CLI's regions). */
export const dynamoDbClient: (options?: AwsClientOptions) => DynamoDBClient = onePerEnvironment((options) => new DynamoDBClient(sdkClientConfig(options, { requestTimeoutMs: DYNAMODB_REQUEST_TIMEOUT_MS })));
