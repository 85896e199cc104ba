/**
 * `StateStore` on DynamoDB (the stack's state table, `STATE_TABLE_NAME`; partition key `pk`, TTL
 * attribute `expiresAt`). Compare-and-set is a conditional write on the `version` attribute:
 * `attribute_not_exists(pk)` for a first write, `version = :expected` after that. A lost race is
 * `ConditionalCheckFailedException`, answered as `false` so the caller re-reads and decides again.
 *
 * The SDK is imported lazily (first call), so a function that never touches state does not pay for
 * it at cold start. Values are stored as a JSON string attribute (`value`): small documents only.
 */
import type { StateStore, Versioned } from '../ports/state-store.js';
import { ReportingError } from '../errors/base-error.js';

export class DynamoStateStoreError extends ReportingError {
  readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options);
    this.retryable = options?.retryable ?? true;
  }
}

/** The part of `DynamoDBClient` we use (tests pass a fake). */
export interface DynamoSender {
  send(command: unknown): Promise<unknown>;
}

export interface DynamoStateStoreOptions {
  readonly tableName: string;
  /** Key prefix inside the shared table, default `state#` (the idempotency store uses another). */
  readonly prefix?: string;
  /** Items expire this long after their last write (DynamoDB TTL). Default 90 days. */
  readonly ttlSeconds?: number;
  /** Injected client; default a `DynamoDBClient` from the Lambda's environment. */
  readonly client?: DynamoSender;
  readonly now?: () => number;
}

type Commands = typeof import('@aws-sdk/client-dynamodb');

export function createDynamoStateStore(options: DynamoStateStoreOptions): StateStore {
  const prefix = options.prefix ?? 'state#';
  const ttlSeconds = options.ttlSeconds ?? 90 * 86_400;
  const now = options.now ?? Date.now;
  let loaded: Promise<{ sdk: Commands; client: DynamoSender }> | undefined;
  const load = () =>
    (loaded ??= import('@aws-sdk/client-dynamodb').then((sdk) => ({ sdk, client: options.client ?? new sdk.DynamoDBClient({}) })));

  const fail = (what: string, error: unknown): never => {
    const name = (error as { name?: string })?.name ?? 'Error';
    const permanent = ['ResourceNotFoundException', 'AccessDeniedException', 'ValidationException'].includes(name);
    throw new DynamoStateStoreError(
      `DynamoDB ${what} on table ${options.tableName} failed (${name})${permanent ? ': check STATE_TABLE_NAME and the function role' : '; retrying later'}.`,
      { cause: error, retryable: !permanent },
    );
  };

  return {
    async get<T>(key: string): Promise<Versioned<T> | undefined> {
      const { sdk, client } = await load();
      let out: { Item?: Record<string, { S?: string; N?: string }> };
      try {
        out = (await client.send(new sdk.GetItemCommand({ TableName: options.tableName, Key: { pk: { S: prefix + key } }, ConsistentRead: true }))) as typeof out;
      } catch (error) {
        return fail('GetItem', error);
      }
      const item = out.Item;
      if (!item?.version?.N || item.value?.S === undefined) return undefined;
      return { value: JSON.parse(item.value.S) as T, version: Number(item.version.N) };
    },

    async put<T>(key: string, value: T, expectedVersion: number | undefined): Promise<boolean> {
      const { sdk, client } = await load();
      const nextVersion = (expectedVersion ?? 0) + 1;
      const item = {
        pk: { S: prefix + key },
        version: { N: String(nextVersion) },
        value: { S: JSON.stringify(value) },
        expiresAt: { N: String(Math.floor(now() / 1000) + ttlSeconds) },
      };
      const condition =
        expectedVersion === undefined
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: '#v = :expected', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } } };
      try {
        await client.send(new sdk.PutItemCommand({ TableName: options.tableName, Item: item, ...condition }));
        return true;
      } catch (error) {
        if ((error as { name?: string })?.name === 'ConditionalCheckFailedException') return false;
        return fail('PutItem', error);
      }
    },
  };
}
