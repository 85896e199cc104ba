/**
 * Streams bytes through a SHA-256 and a byte counter on their way to storage, so the checksum in
 * the manifest is of exactly the bytes that were stored, computed without a second read.
 */
import { createHash, type Hash } from 'node:crypto';

export interface Digest {
  readonly bytes: number;
  readonly sha256: string;
}

export class HashingCounter {
  private readonly hash: Hash = createHash('sha256');
  private count = 0;
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.count += chunk.byteLength;
  }
  digest(): Digest {
    return { bytes: this.count, sha256: this.hash.digest('hex') };
  }
}

/** Normalises a body (Readable, async iterable of bytes/strings) to Buffers, hashing as they pass. */
export async function* hashed(body: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>, counter: HashingCounter): AsyncGenerator<Buffer> {
  for await (const part of body) {
    const buf = typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.isBuffer(part) ? part : Buffer.from(part.buffer, part.byteOffset, part.byteLength);
    if (buf.length === 0) continue;
    counter.update(buf);
    yield buf;
  }
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}
