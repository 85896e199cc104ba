/**
 * `StateStore` on DynamoDB (the stack's state table, `STATE_TABLE_NAME`; partition key `pk`, TTL
 * attribute `expiresAt`). Compare-and-set is a conditional write on the `version` attribute:
 * `attribute_not_exists(pk)` for a first write, `version = :expected` after that. A lost race is
 * `ConditionalCheckFailedException`, answered as `false` so the caller re-reads and decides again.
 *
 * Through `@aws-sdk/client-dynamodb` (shared/aws-clients/dynamodb.ts). Values are stored as a JSON
 * string attribute (`value`): small documents only.
 */
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { StateStore, Versioned } from '../ports/state-store.js';
import { ReportingError } from '../errors/base-error.js';
import { dynamoDbClient } from '../aws-clients/dynamodb.js';
import { awsErrorCode, isRetryableAwsError } from '../aws-clients/aws-errors.js';

export class DynamoStateStoreError extends ReportingError {
  readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options);
    this.retryable = options?.retryable ?? true;
  }
}

export interface DynamoStateStoreOptions {
  readonly tableName: string;
  /** Key prefix inside the shared table, default `state#` (the idempotency store uses another). */
  readonly prefix?: string;
  /** Items expire this long after their last write (DynamoDB TTL). Default 90 days. */
  readonly ttlSeconds?: number;
  /** Default: the execution environment's shared DynamoDB client. */
  readonly client?: Pick<DynamoDBClient, 'send'>;
  readonly now?: () => number;
}

export function createDynamoStateStore(options: DynamoStateStoreOptions): StateStore {
  const prefix = options.prefix ?? 'state#';
  const ttlSeconds = options.ttlSeconds ?? 90 * 86_400;
  const now = options.now ?? Date.now;
  let client = options.client;
  const dynamo = () => (client ??= dynamoDbClient());

  const fail = (what: string, error: unknown): never => {
    const code = awsErrorCode(error);
    const retryable = isRetryableAwsError(error);
    throw new DynamoStateStoreError(
      `DynamoDB ${what} on table ${options.tableName} failed (${code})${retryable ? '; retrying later' : ': check STATE_TABLE_NAME and the function role'}.`,
      { cause: error, retryable },
    );
  };

  return {
    async get<T>(key: string): Promise<Versioned<T> | undefined> {
      let out;
      try {
        out = await dynamo().send(new GetItemCommand({ TableName: options.tableName, Key: { pk: { S: prefix + key } }, ConsistentRead: true }));
      } catch (error) {
        return fail('GetItem', error);
      }
      const item = out.Item;
      if (!item?.version?.N || item.value?.S === undefined) return undefined;
      return { value: JSON.parse(item.value.S) as T, version: Number(item.version.N) };
    },

    async put<T>(key: string, value: T, expectedVersion: number | undefined): Promise<boolean> {
      const item = {
        pk: { S: prefix + key },
        version: { N: String((expectedVersion ?? 0) + 1) },
        value: { S: JSON.stringify(value) },
        expiresAt: { N: String(Math.floor(now() / 1000) + ttlSeconds) },
      };
      const condition =
        expectedVersion === undefined
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: '#v = :expected', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } } };
      try {
        await dynamo().send(new PutItemCommand({ TableName: options.tableName, Item: item, ...condition }));
        return true;
      } catch (error) {
        if (awsErrorCode(error) === 'ConditionalCheckFailedException') return false;
        return fail('PutItem', error);
      }
    },
  };
}
