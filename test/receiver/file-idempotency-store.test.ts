import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createFileIdempotencyStore } from '../../shared/idempotency/file-idempotency-store.js';

const run = promisify(execFile);
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'idem-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('file idempotency store', () => {
  it('claims once, reports in-progress while held, completed after, and claimable again after release', async () => {
    // Prepare
    const store = createFileIdempotencyStore({ directory: dir });
    // Act + Assess
    expect(await store.claim('notification#1', { lockSeconds: 30 })).toEqual({ status: 'claimed' });
    expect(await store.claim('notification#1', { lockSeconds: 30 })).toEqual({ status: 'in-progress' });
    await store.release('notification#1');
    expect(await store.claim('notification#1', { lockSeconds: 30 })).toEqual({ status: 'claimed' });
    await store.complete('notification#1', { ttlSeconds: 60 });
    expect(await store.claim('notification#1', { lockSeconds: 30 })).toEqual({ status: 'completed' });
    expect((await readdir(dir)).filter((f) => f.endsWith('.lock') || f.endsWith('.tmp'))).toEqual([]);
  });

  it('lets a claim be taken over after its lock expires, and a completed key be reused after its TTL', async () => {
    // Prepare
    let t = 1_000_000;
    const a = createFileIdempotencyStore({ directory: dir, now: () => t });
    const b = createFileIdempotencyStore({ directory: dir, now: () => t });
    // Act
    await a.claim('k', { lockSeconds: 30 });
    t += 31_000;
    const takeover = await b.claim('k', { lockSeconds: 30 });
    await a.release('k'); // the dead owner's late release must not remove b's claim
    const whileB = await a.claim('k', { lockSeconds: 30 });
    await b.complete('k', { ttlSeconds: 10 });
    t += 11_000;
    const afterTtl = await a.claim('k', { lockSeconds: 30 });
    // Assess
    expect([takeover.status, whileB.status, afterTtl.status]).toEqual(['claimed', 'in-progress', 'claimed']);
  });

  it('sweeps expired records and abandoned claims, and keeps live ones', async () => {
    // Prepare
    let t = 1_000_000;
    const store = createFileIdempotencyStore({ directory: dir, now: () => t, sweepEvery: 0 });
    await store.claim('done-long-ago', { lockSeconds: 30 });
    await store.complete('done-long-ago', { ttlSeconds: 60 });
    await store.claim('abandoned', { lockSeconds: 30 });
    t += 2 * 86_400_000;
    await store.claim('recent', { lockSeconds: 30 });
    await store.complete('recent', { ttlSeconds: 3600 });
    await store.claim('running', { lockSeconds: 30 });
    // Act
    const removed = await store.sweep();
    // Assess
    expect(removed).toBe(2);
    expect((await readdir(dir)).sort()).toEqual(['recent.json', 'running.json']);
    expect(await store.claim('recent', { lockSeconds: 30 })).toEqual({ status: 'completed' });
  });

  it('gives each key to exactly one caller among many concurrent ones in one process', async () => {
    // Prepare
    const stores = Array.from({ length: 4 }, () => createFileIdempotencyStore({ directory: dir }));
    // Act
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => stores[i % 4]!.claim(`key-${i % 5}`, { lockSeconds: 30 })));
    // Assess
    expect(results.filter((r) => r.status === 'claimed')).toHaveLength(5);
  });

  it('gives each key to exactly one process among several racing processes', async () => {
    // Prepare
    const worker = fileURLToPath(new URL('./fixtures/claim-worker.ts', import.meta.url));
    const keys = Array.from({ length: 30 }, (_, i) => `notification#${i}`).join(',');
    // Act
    const outputs = await Promise.all(Array.from({ length: 3 }, () => run(process.execPath, ['--import', 'tsx', worker, dir, keys], { cwd: process.cwd() })));
    // Assess
    const won = outputs.flatMap((o) => JSON.parse(o.stdout) as string[]);
    expect(won).toHaveLength(30);
    expect(new Set(won).size).toBe(30);
  });
});
