/**
 * `IdempotencyStore` on the local file system (`DATA_DIR/idempotency/`): one small JSON file per key.
 *
 * Safe for concurrent calls in one process and across processes (two `npm start`s on one DATA_DIR,
 * a CLI replay beside a running server): every read-modify-write of a key happens under a per-key
 * mutex file created with `open(path, 'wx')` (atomic create-if-absent on every local file system),
 * and records are replaced with write-to-temp + `rename` (atomic), so a crash never leaves a torn
 * record. A mutex left by a crashed process is broken after `staleMutexMs`.
 */
import { open, readdir, readFile, rename, rm, mkdir, stat, unlink, writeFile } from 'node:fs/promises';
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { ClaimResult, IdempotencyStore } from '../ports/idempotency-store.js';
import { ReportingError } from '../errors/base-error.js';

export class IdempotencyStoreError extends ReportingError {
  readonly retryable = true;
}

interface Record_ {
  status: 'in-progress' | 'completed';
  owner: string;
  /** ms since epoch */
  lockedUntil?: number;
  expiresAt?: number;
}

export interface FileIdempotencyStoreOptions {
  readonly directory: string;
  readonly now?: () => number;
  /** A mutex older than this is from a dead process. Default 10 s (a claim takes milliseconds). */
  readonly staleMutexMs?: number;
  /** Every this many claims, expired records are swept from the directory in the background. Default 1000; 0 = never. */
  readonly sweepEvery?: number;
}

/** The store plus housekeeping the port does not need. */
export interface FileIdempotencyStore extends IdempotencyStore {
  /** Deletes expired completed records, long-abandoned claims and leftover temp files; resolves with how many. */
  sweep(): Promise<number>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `rm(path, {force: true})` for a plain file in one system call (rm adds an lstat and its directory machinery). */
async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

export function createFileIdempotencyStore(options: FileIdempotencyStoreOptions): FileIdempotencyStore {
  const dir = options.directory;
  const now = options.now ?? Date.now;
  const staleMutexMs = options.staleMutexMs ?? 10_000;
  /** Owner tokens of the claims this instance holds. */
  const owned = new Map<string, string>();
  /** In-process queue per key, so calls from this process do not spin on each other's mutex. */
  const chains = new Map<string, Promise<unknown>>();
  let ready: Promise<unknown> | undefined;

  const fileName = (key: string) => (/^[A-Za-z0-9_.#-]{1,120}$/.test(key) && !key.startsWith('.') ? key.replace(/#/g, '~') : createHash('sha256').update(key).digest('hex'));
  const recordPath = (key: string) => join(dir, `${fileName(key)}.json`);

  const withMutex = <T>(key: string, fn: () => Promise<T>): Promise<T> => withFileMutex(recordPath(key), fn);

  async function withFileMutex<T>(path: string, fn: () => Promise<T>): Promise<T> {
    ready ??= mkdir(dir, { recursive: true });
    await ready;
    const key = path;
    const previous = chains.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(async () => {
      const mutex = `${path}.lock`;
      for (let attempt = 0; ; attempt++) {
        try {
          const handle = await open(mutex, 'wx');
          await handle.close();
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new IdempotencyStoreError(`Cannot write under ${dir}: check DATA_DIR is writable.`, { cause: error });
          try {
            const info = await stat(mutex);
            if (Date.now() - info.mtimeMs > staleMutexMs) await rm(mutex, { force: true });
          } catch {
            // gone in the meantime
          }
          if (attempt > 2000) throw new IdempotencyStoreError(`Idempotency mutex ${mutex} is stuck; remove it if no kreports process is running.`);
          await sleep(Math.min(2 + attempt, 20));
        }
      }
      try {
        return await fn();
      } finally {
        await removeFile(mutex);
      }
    });
    chains.set(key, run);
    try {
      return await run;
    } finally {
      if (chains.get(key) === run) chains.delete(key);
    }
  }

  async function read(key: string): Promise<Record_ | undefined> {
    return readPath(recordPath(key));
  }

  async function readPath(path: string): Promise<Record_ | undefined> {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as Record_;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      if (error instanceof SyntaxError) return undefined; // unreadable record: treat as absent
      throw new IdempotencyStoreError(`Cannot read the idempotency store under ${dir}.`, { cause: error });
    }
  }

  async function write(key: string, record: Record_): Promise<void> {
    const target = recordPath(key);
    const temp = `${target}.${randomUUID()}.tmp`;
    await writeFile(temp, JSON.stringify(record));
    await rename(temp, target);
  }

  const isExpired = (record: Record_, t: number) => (record.status === 'completed' ? (record.expiresAt ?? Infinity) <= t : (record.lockedUntil ?? 0) + 86_400_000 <= t);

  const sweepEvery = options.sweepEvery ?? 1000;
  let claims = 0;
  let sweeping: Promise<number> | undefined;

  async function sweep(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return 0;
    }
    let removed = 0;
    const t = now();
    for (const name of names) {
      const path = join(dir, name);
      if (name.endsWith('.tmp')) {
        const info = await stat(path).catch(() => undefined);
        if (info && Date.now() - info.mtimeMs > 3600_000) removed += await rm(path, { force: true }).then(() => 1, () => 0);
        continue;
      }
      if (!name.endsWith('.json')) continue;
      // Records are replaced by rename, so a read without the mutex sees a whole record: only the
      // ones that look expired are re-read and removed under the mutex (most are not, and taking
      // the mutex costs four file operations per record).
      const seen = await readPath(path).catch(() => undefined);
      if (!seen || !isExpired(seen, t)) continue;
      removed += await withFileMutex(path, async () => {
        const record = await readPath(path);
        if (!record || !isExpired(record, t)) return 0;
        await removeFile(path);
        return 1;
      }).catch(() => 0);
    }
    return removed;
  }

  return {
    sweep,
    claim: (key, { lockSeconds }) =>
      withMutex(key, async (): Promise<ClaimResult> => {
        if (sweepEvery > 0 && ++claims % sweepEvery === 0 && !sweeping) {
          sweeping = sweep().finally(() => (sweeping = undefined));
        }
        const t = now();
        const existing = await read(key);
        if (existing?.status === 'completed' && (existing.expiresAt ?? Infinity) > t) return { status: 'completed' };
        if (existing?.status === 'in-progress' && (existing.lockedUntil ?? 0) > t) return { status: 'in-progress' };
        const owner = randomUUID();
        await write(key, { status: 'in-progress', owner, lockedUntil: t + lockSeconds * 1000 });
        owned.set(key, owner);
        return { status: 'claimed' };
      }),
    complete: (key, { ttlSeconds }) =>
      withMutex(key, async () => {
        const owner = owned.get(key) ?? randomUUID();
        owned.delete(key);
        await write(key, { status: 'completed', owner, expiresAt: now() + ttlSeconds * 1000 });
      }),
    release: (key) =>
      withMutex(key, async () => {
        const owner = owned.get(key);
        owned.delete(key);
        const existing = await read(key);
        // Only our own claim: if it expired and someone else took over, theirs stays.
        if (existing && existing.status === 'in-progress' && existing.owner === owner) await removeFile(recordPath(key));
      }),
  };
}
