/**
 * `IdempotencyStore` on DynamoDB, with conditional writes as Powertools idempotency does:
 * - claim = PutItem `{pk: "idem#<key>", status: "in-progress", owner, lockedUntil}` if
 *   `attribute_not_exists(pk) OR expiresAt < :now OR (status = in-progress AND lockedUntil < :nowMs)`;
 *   when the condition fails, the old item (returned with the failure) says completed or in-progress;
 * - complete = UpdateItem to `completed` with `expiresAt` = now + TTL, only while we still own it;
 * - release = DeleteItem, only our own in-progress claim.
 * `expiresAt` (epoch seconds) is the table's TTL attribute; DynamoDB deletes expired items within
 * days, so the condition also treats an expired item as absent.
 *
 * Table from `STATE_TABLE_NAME`; speaks the DynamoDB JSON protocol through the small signed client.
 */
import { randomUUID } from 'node:crypto';
import type { ClaimResult, IdempotencyStore } from '../ports/idempotency-store.js';
import { createAwsJsonClient, type AwsJsonClient } from '../aws/aws-json-client.js';
import { AwsServiceError, type AwsHttpOptions } from '../aws/aws-http.js';

type AttributeValue = { S: string } | { N: string };
type Item = Record<string, AttributeValue>;

export function createDynamoDbClient(options: Partial<AwsHttpOptions> & { endpoint?: string } = {}): AwsJsonClient {
  return createAwsJsonClient({ service: 'dynamodb', targetPrefix: 'DynamoDB_20120810', jsonVersion: '1.0', ...options });
}

export interface DynamoDbIdempotencyStoreOptions {
  readonly tableName: string;
  readonly client?: AwsJsonClient;
  readonly now?: () => number;
  /** How long an abandoned in-progress item lingers before TTL removes it. Default 1 day. */
  readonly abandonedTtlSeconds?: number;
}

const isConditionFailure = (error: unknown): error is AwsServiceError => error instanceof AwsServiceError && error.code === 'ConditionalCheckFailedException';
const str = (item: Item | undefined, name: string): string | undefined => {
  const v = item?.[name];
  return v && 'S' in v ? v.S : undefined;
};

export function createDynamoDbIdempotencyStore(options: DynamoDbIdempotencyStoreOptions): IdempotencyStore {
  const client = options.client ?? createDynamoDbClient();
  const now = options.now ?? Date.now;
  const table = options.tableName;
  const owned = new Map<string, string>();
  const pk = (key: string): Item => ({ pk: { S: `idem#${key}` } });

  async function currentStatus(key: string): Promise<ClaimResult> {
    const out = await client.call<{ Item?: Item }>('GetItem', { TableName: table, Key: pk(key), ConsistentRead: true });
    return statusOf(out.Item);
  }

  function statusOf(item: Item | undefined): ClaimResult {
    // The condition failed, so the item is live: completed, or in-progress with a valid lock.
    return str(item, 'status') === 'completed' ? { status: 'completed' } : { status: 'in-progress' };
  }

  return {
    async claim(key, { lockSeconds }) {
      const t = now();
      const owner = randomUUID();
      try {
        await client.call('PutItem', {
          TableName: table,
          Item: {
            ...pk(key),
            status: { S: 'in-progress' },
            owner: { S: owner },
            lockedUntil: { N: String(t + lockSeconds * 1000) },
            expiresAt: { N: String(Math.ceil(t / 1000) + lockSeconds + (options.abandonedTtlSeconds ?? 86400)) },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :nowSeconds OR (#status = :inProgress AND lockedUntil < :nowMs)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':nowSeconds': { N: String(Math.floor(t / 1000)) }, ':nowMs': { N: String(t) }, ':inProgress': { S: 'in-progress' } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        });
        owned.set(key, owner);
        return { status: 'claimed' };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const old = error.details.Item as Item | undefined;
        return old ? statusOf(old) : currentStatus(key);
      }
    },
    async complete(key, { ttlSeconds }) {
      const owner = owned.get(key);
      owned.delete(key);
      const t = now();
      await client.call('UpdateItem', {
        TableName: table,
        Key: pk(key),
        UpdateExpression: 'SET #status = :completed, expiresAt = :expiresAt, completedAt = :nowMs REMOVE lockedUntil',
        ...(owner ? { ConditionExpression: '#owner = :owner' } : {}),
        ExpressionAttributeNames: { '#status': 'status', ...(owner ? { '#owner': 'owner' } : {}) },
        ExpressionAttributeValues: {
          ':completed': { S: 'completed' },
          ':expiresAt': { N: String(Math.ceil(t / 1000) + ttlSeconds) },
          ':nowMs': { N: String(t) },
          ...(owner ? { ':owner': { S: owner } } : {}),
        },
      });
    },
    async release(key) {
      const owner = owned.get(key);
      owned.delete(key);
      if (!owner) return;
      try {
        await client.call('DeleteItem', {
          TableName: table,
          Key: pk(key),
          ConditionExpression: '#owner = :owner AND #status = :inProgress',
          ExpressionAttributeNames: { '#owner': 'owner', '#status': 'status' },
          ExpressionAttributeValues: { ':owner': { S: owner }, ':inProgress': { S: 'in-progress' } },
        });
      } catch (error) {
        if (!isConditionFailure(error)) throw error; // someone else owns it now: leave theirs
      }
    },
  };
}
