/**
 * The local "bucket": objects are files under `DATA_DIR/bucket/<key>` (SPEC §3), same keys as S3.
 *
 * Atomic like S3: the bytes go to a hidden temporary file in the target's directory
 * (`.<name>.<random>.tmp`), are flushed to disk, and only then renamed over the key — a rename within
 * one directory is atomic, so a reader sees the old file or the new one, never half of one. On any
 * error the temporary file is removed and nothing appears at the key.
 * Content type and metadata have no place in a file system; they are kept in the manifest.
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { BlobStore, PutResult } from '../ports/blob-store.js';
import { HashingCounter, hashed } from './hashing.js';
import { BlobWriteError, checkKey } from './storage-errors.js';

export function createFileBlobStore(options: { root: string }): BlobStore {
  const pathOf = (key: string) => {
    checkKey(key);
    return join(options.root, ...key.split('/'));
  };

  const write = async (key: string, body: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>): Promise<PutResult> => {
    const target = pathOf(key);
    const dir = dirname(target);
    const temp = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    const counter = new HashingCounter();
    try {
      await mkdir(dir, { recursive: true });
      const handle = await open(temp, 'wx');
      try {
        for await (const buf of hashed(body, counter)) {
          let offset = 0;
          while (offset < buf.length) offset += (await handle.write(buf, offset)).bytesWritten;
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      if (error instanceof Error && 'retryable' in error) throw error;
      throw new BlobWriteError(`Writing ${key} to the local bucket failed (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); nothing was written.`, { cause: error });
    }
    return { key, ...counter.digest() };
  };

  return {
    putStream: (key, body) => write(key, body),
    putBytes: (key, body) => write(key, [body]),
    async getBytes(key) {
      try {
        return await readFile(pathOf(key));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
  };
}
