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
 * Table from `STATE_TABLE_NAME`, through `@aws-sdk/client-dynamodb` (shared/aws-clients/dynamodb.ts).
 *
 * Why not Powertools' idempotency utility: the receiver's idempotency is not "cache a function's
 * result" but claim -> archive -> queue -> complete, with a concurrent delivery answered 503 (so
 * Kaltura retries) and a local file store behind the same port; docs/powertools.md has the details.
 */
import { randomUUID } from 'node:crypto';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ClaimResult, IdempotencyStore } from '../ports/idempotency-store.js';
import { dynamoDbClient } from '../aws-clients/dynamodb.js';
import { awsErrorCode } from '../aws-clients/aws-errors.js';

type Item = Record<string, AttributeValue>;

export interface DynamoDbIdempotencyStoreOptions {
  readonly tableName: string;
  /** Default: the execution environment's shared DynamoDB client. */
  readonly client?: Pick<DynamoDBClient, 'send'>;
  readonly now?: () => number;
  /** How long an abandoned in-progress item lingers before TTL removes it. Default 1 day. */
  readonly abandonedTtlSeconds?: number;
}

/** A failed condition; with `ReturnValuesOnConditionCheckFailure: ALL_OLD` the SDK error carries the item as `Item`. */
const isConditionFailure = (error: unknown): error is Error & { Item?: Item } => awsErrorCode(error) === 'ConditionalCheckFailedException';
const str = (item: Item | undefined, name: string): string | undefined => {
  const v = item?.[name];
  return v && 'S' in v ? v.S : undefined;
};

export function createDynamoDbIdempotencyStore(options: DynamoDbIdempotencyStoreOptions): IdempotencyStore {
  const client = options.client ?? dynamoDbClient();
  const now = options.now ?? Date.now;
  const table = options.tableName;
  const owned = new Map<string, string>();
  const pk = (key: string): Item => ({ pk: { S: `idem#${key}` } });

  async function currentStatus(key: string): Promise<ClaimResult> {
    const out = await client.send(new GetItemCommand({ TableName: table, Key: pk(key), ConsistentRead: true }));
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
        await client.send(new PutItemCommand({
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
        }));
        owned.set(key, owner);
        return { status: 'claimed' };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const old = error.Item;
        return old ? statusOf(old) : currentStatus(key);
      }
    },
    async complete(key, { ttlSeconds }) {
      const owner = owned.get(key);
      owned.delete(key);
      const t = now();
      await client.send(new UpdateItemCommand({
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
      }));
    },
    async release(key) {
      const owner = owned.get(key);
      owned.delete(key);
      if (!owner) return;
      try {
        await client.send(new DeleteItemCommand({
          TableName: table,
          Key: pk(key),
          ConditionExpression: '#owner = :owner AND #status = :inProgress',
          ExpressionAttributeNames: { '#owner': 'owner', '#status': 'status' },
          ExpressionAttributeValues: { ':owner': { S: owner }, ':inProgress': { S: 'in-progress' } },
        }));
      } catch (error) {
        if (!isConditionFailure(error)) throw error; // someone else owns it now: leave theirs
      }
    },
  };
}
