/**
 * `StateStore` on the local disk (`DATA_DIR/state/` in the local runtime): one JSON file per key,
 * `{ "version": n, "value": … }`.
 *
 * Compare-and-set is safe across concurrent calls in one process *and* across processes: a writer
 * takes an exclusive lock file (`open(…, 'wx')`, atomic on every local filesystem), re-reads the
 * version, writes a temporary file and renames it over the old one. Readers never lock: a rename is
 * atomic, so they see the old document or the new one, never half of one. A lock left behind by a
 * process that died is taken over after `staleLockMs`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateStore, Versioned } from '../ports/state-store.js';
import { ReportingError } from '../errors/base-error.js';

export class StateStoreError extends ReportingError {
  readonly retryable = true;
}

export interface FileStateStoreOptions {
  /** Directory holding one file per key; created when missing. */
  readonly directory: string;
  /** A lock older than this is considered abandoned. Default 10 s. */
  readonly staleLockMs?: number;
  /** Give up taking a lock after this long (a retryable error). Default 5 s. */
  readonly lockTimeoutMs?: number;
}

interface StoredDocument {
  readonly version: number;
  readonly value: unknown;
}

/** A file name that is safe on every OS and never escapes the directory. */
export function stateFileName(key: string): string {
  const encoded = encodeURIComponent(key).replace(/\./g, '%2E').replace(/\*/g, '%2A').replace(/%/g, '_');
  if (encoded.length <= 180) return `${encoded}.json`;
  return `${encoded.slice(0, 120)}_${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createFileStateStore(options: FileStateStoreOptions): StateStore {
  const staleLockMs = options.staleLockMs ?? 10_000;
  const lockTimeoutMs = options.lockTimeoutMs ?? 5_000;
  let ready: Promise<unknown> | undefined;
  const ensureDir = () => (ready ??= mkdir(options.directory, { recursive: true }));

  async function read(path: string): Promise<StoredDocument | undefined> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StateStoreError(`Cannot read the state file ${path}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const doc = JSON.parse(text) as StoredDocument;
      if (typeof doc.version !== 'number') throw new Error('no version');
      return doc;
    } catch (cause) {
      throw new StateStoreError(`The state file ${path} is corrupt; delete it to reset that state.`, { cause });
    }
  }

  async function withLock<T>(path: string, work: () => Promise<T>): Promise<T> {
    const lockPath = `${path}.lock`;
    const deadline = Date.now() + lockTimeoutMs;
    for (let delay = 2; ; delay = Math.min(50, delay * 2)) {
      try {
        const handle = await open(lockPath, 'wx');
        await handle.close();
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new StateStoreError(`Cannot lock the state file ${path}: ${(error as Error).message}`, { cause: error });
        try {
          const info = await stat(lockPath);
          if (Date.now() - info.mtimeMs > staleLockMs) {
            await rm(lockPath, { force: true });
            continue;
          }
        } catch {
          continue; // released between our open and stat
        }
        if (Date.now() > deadline) throw new StateStoreError(`Timed out waiting for the lock on ${path}; retry later.`);
        await sleep(delay + Math.random() * delay);
      }
    }
    try {
      return await work();
    } finally {
      await rm(lockPath, { force: true });
    }
  }

  return {
    async get<T>(key: string): Promise<Versioned<T> | undefined> {
      await ensureDir();
      const doc = await read(join(options.directory, stateFileName(key)));
      return doc ? { value: doc.value as T, version: doc.version } : undefined;
    },

    async put<T>(key: string, value: T, expectedVersion: number | undefined): Promise<boolean> {
      await ensureDir();
      const path = join(options.directory, stateFileName(key));
      return withLock(path, async () => {
        const current = await read(path);
        if ((current?.version ?? undefined) !== expectedVersion) return false;
        const next: StoredDocument = { version: (current?.version ?? 0) + 1, value };
        const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
        await writeFile(temp, JSON.stringify(next, null, 2));
        await rename(temp, path);
        return true;
      });
    },
  };
}
