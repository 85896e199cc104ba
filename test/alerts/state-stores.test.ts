/**
 * The StateStore adapters' compare-and-set: the file store under concurrency (in one process and
 * across processes), and the DynamoDB store's conditional writes (with a recording fake client).
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileStateStore, stateFileName } from '../../shared/state/file-state-store.js';
import { createDynamoStateStore } from '../../shared/state/dynamodb-state-store.js';
import { tempDir } from './helpers.js';

describe('file state store', () => {
  it('creates, reads and updates with versions', async () => {
    const store = createFileStateStore({ directory: await tempDir('state-') });
    expect(await store.get('a#b')).toBeUndefined();
    expect(await store.put('a#b', { n: 1 }, undefined)).toBe(true);
    expect(await store.put('a#b', { n: 2 }, undefined)).toBe(false);
    const v1 = await store.get<{ n: number }>('a#b');
    expect(v1).toEqual({ value: { n: 1 }, version: 1 });
    expect(await store.put('a#b', { n: 2 }, 1)).toBe(true);
    expect(await store.put('a#b', { n: 3 }, 1)).toBe(false);
    expect((await store.get<{ n: number }>('a#b'))?.value.n).toBe(2);
  });

  it('lets exactly one of many concurrent writers with the same expected version win', async () => {
    const store = createFileStateStore({ directory: await tempDir('state-') });
    await store.put('race', { winner: 'none' }, undefined);
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => store.put('race', { winner: i }, 1)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect((await store.get<{ winner: number }>('race'))?.value.winner).toBe(winner);
  });

  it('lets exactly one of several processes win', async () => {
    const directory = await tempDir('state-');
    const script = `
      import { createFileStateStore } from ${JSON.stringify(new URL('../../shared/state/file-state-store.ts', import.meta.url).pathname)};
      const store = createFileStateStore({ directory: ${JSON.stringify(directory)} });
      const won = await store.put('cross-process', { pid: process.pid }, undefined);
      process.stdout.write(won ? 'won' : 'lost');
    `;
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}`))));
      });
    const outcomes = await Promise.all([run(), run(), run()]);
    expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
    expect(await readdir(directory)).toEqual([stateFileName('cross-process')]);
  }, 60_000);

  it('keeps keys inside the directory whatever they contain', () => {
    for (const key of ['../../etc/passwd', 'a/b\\c', '..', 'alert#rule#job#entry:1_abc', 'x'.repeat(400)]) {
      const name = stateFileName(key);
      expect(name).not.toMatch(/[/\\]/);
      expect(name.startsWith('.')).toBe(false);
      expect(name.length).toBeLessThanOrEqual(200);
      expect(join('/base', name).startsWith('/base/')).toBe(true);
    }
  });
});

describe('DynamoDB state store', () => {
  /** DynamoDB's conditional-write semantics over a Map, answering like the JSON protocol client. */
  function fakeDynamo() {
    const items = new Map<string, Record<string, { S?: string; N?: string }>>();
    const commands: Array<{ name: string; input: Record<string, unknown> }> = [];
    // The client's `send` as the SDK calls it: a command object whose class names the operation.
    const send = async (command: { input: unknown }): Promise<Record<string, unknown>> => {
      const name = command.constructor.name.replace(/Command$/, '');
      const input = command.input as Record<string, unknown>;
      commands.push({ name, input });
      const key = ((input.Key ?? input.Item) as { pk: { S: string } }).pk.S;
      if (name === 'GetItem') return items.has(key) ? { Item: items.get(key) } : {};
      const existing = items.get(key);
      const expected = (input.ExpressionAttributeValues as Record<string, { N: string }> | undefined)?.[':expected']?.N;
      const ok = input.ConditionExpression === 'attribute_not_exists(pk)' ? !existing : existing?.version?.N === expected;
      if (!ok) throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
      items.set(key, input.Item as Record<string, { S?: string; N?: string }>);
      return {};
    };
    return { client: { send } as never, items, commands };
  }

  it('writes conditionally on the version and answers false when it lost', async () => {
    const fake = fakeDynamo();
    const store = createDynamoStateStore({ tableName: 'state-table', client: fake.client, now: () => 1_800_000_000_000, ttlSeconds: 3600 });
    expect(await store.put('alert#x', { status: 'firing' }, undefined)).toBe(true);
    expect(await store.put('alert#x', { status: 'firing' }, undefined)).toBe(false);
    expect(await store.get('alert#x')).toEqual({ value: { status: 'firing' }, version: 1 });
    expect(await store.put('alert#x', { status: 'resolved' }, 1)).toBe(true);
    expect(await store.put('alert#x', { status: 'ok' }, 1)).toBe(false);
    expect(await store.get('alert#x')).toEqual({ value: { status: 'resolved' }, version: 2 });
    const put = fake.commands.find((c) => c.name === 'PutItem' && c.input.ConditionExpression !== 'attribute_not_exists(pk)')!;
    expect(put.input).toMatchObject({ TableName: 'state-table', ConditionExpression: '#v = :expected', ExpressionAttributeNames: { '#v': 'version' } });
    expect((put.input.Item as Record<string, { N?: string; S?: string }>).expiresAt!.N).toBe(String(1_800_000_000 + 3600));
    expect((put.input.Item as Record<string, { S?: string }>).pk!.S).toBe('state#alert#x');
    const get = fake.commands.find((c) => c.name === 'GetItem')!;
    expect(get.input.ConsistentRead).toBe(true);
  });

  it('turns other DynamoDB failures into errors that say whether to retry', async () => {
    const store = createDynamoStateStore({
      tableName: 'missing-table',
      client: { send: async () => Promise.reject(Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException', $fault: 'client', $metadata: { httpStatusCode: 400 } })) } as never,
    });
    await expect(store.put('k', 1, undefined)).rejects.toMatchObject({ retryable: false, message: expect.stringContaining('STATE_TABLE_NAME') });
    const throttled = createDynamoStateStore({ tableName: 't', client: { send: async () => Promise.reject(Object.assign(new Error('slow'), { name: 'ProvisionedThroughputExceededException', $fault: 'client', $retryable: { throttling: true }, $metadata: { httpStatusCode: 400 } })) } as never });
    await expect(throttled.get('k')).rejects.toMatchObject({ retryable: true });
  });
});
