/**
 * `StateStore` on DynamoDB (the stack's state table, `STATE_TABLE_NAME`; partition key `pk`, TTL
 * attribute `expiresAt`). Compare-and-set is a conditional write on the `version` attribute:
 * `attribute_not_exists(pk)` for a first write, `version = :expected` after that. A lost race is
 * `ConditionalCheckFailedException`, answered as `false` so the caller re-reads and decides again.
 *
 * It speaks DynamoDB's JSON protocol through the small signed client in `shared/aws/` (no AWS SDK at
 * cold start). Values are stored as a JSON string attribute (`value`): small documents only.
 */
import type { StateStore, Versioned } from '../ports/state-store.js';
import { ReportingError } from '../errors/base-error.js';
import { createAwsJsonClient } from '../aws/aws-json-client.js';

export class DynamoStateStoreError extends ReportingError {
  readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options);
    this.retryable = options?.retryable ?? true;
  }
}

/** One DynamoDB JSON-protocol operation (`GetItem`, `PutItem`); tests pass a fake. */
export type DynamoCall = (operation: string, input: Record<string, unknown>) => Promise<Record<string, unknown>>;

export interface DynamoStateStoreOptions {
  readonly tableName: string;
  /** Key prefix inside the shared table, default `state#` (the idempotency store uses another). */
  readonly prefix?: string;
  /** Items expire this long after their last write (DynamoDB TTL). Default 90 days. */
  readonly ttlSeconds?: number;
  /** Default: the signed JSON client with the Lambda's credentials and region. */
  readonly call?: DynamoCall;
  readonly now?: () => number;
}

type AttributeValue = { S?: string; N?: string };

function errorCode(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown };
  return typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'Error';
}

export function createDynamoStateStore(options: DynamoStateStoreOptions): StateStore {
  const prefix = options.prefix ?? 'state#';
  const ttlSeconds = options.ttlSeconds ?? 90 * 86_400;
  const now = options.now ?? Date.now;
  let call = options.call;
  const dynamo = (): DynamoCall => {
    if (!call) {
      const client = createAwsJsonClient({ service: 'dynamodb', targetPrefix: 'DynamoDB_20120810', jsonVersion: '1.0' });
      call = (operation, input) => client.call(operation, input);
    }
    return call;
  };

  const fail = (what: string, error: unknown): never => {
    const code = errorCode(error);
    const permanent = ['ResourceNotFoundException', 'AccessDeniedException', 'ValidationException', 'UnrecognizedClientException'].includes(code);
    const retryable = !permanent && (error as { retryable?: boolean })?.retryable !== false;
    throw new DynamoStateStoreError(
      `DynamoDB ${what} on table ${options.tableName} failed (${code})${retryable ? '; retrying later' : ': check STATE_TABLE_NAME and the function role'}.`,
      { cause: error, retryable },
    );
  };

  return {
    async get<T>(key: string): Promise<Versioned<T> | undefined> {
      let out: { Item?: Record<string, AttributeValue> };
      try {
        out = (await dynamo()('GetItem', { TableName: options.tableName, Key: { pk: { S: prefix + key } }, ConsistentRead: true })) as typeof out;
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
        await dynamo()('PutItem', { TableName: options.tableName, Item: item, ...condition });
        return true;
      } catch (error) {
        if (errorCode(error) === 'ConditionalCheckFailedException') return false;
        return fail('PutItem', error);
      }
    },
  };
}
