/**
 * Local dead letters: one JSON file per permanently failed job at
 * `DATA_DIR/dead-letters/<kind>/<id>.json`, holding the `DeadLetter` (body exactly as received, reason,
 * error name, attempts, failed-at). `kreports replay` lists, re-queues and removes them.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JOB_KINDS, type JobKind } from '../shared/jobs/job-message.js';
import type { DeadLetter, DeadLetterSink } from '../shared/ports/dead-letter-sink.js';

export interface StoredDeadLetter extends DeadLetter {
  /** File name without `.json`; what `kreports replay --id` takes. */
  readonly id: string;
}

export function deadLetterDir(dataDir: string, kind?: JobKind): string {
  return kind ? join(dataDir, 'dead-letters', kind) : join(dataDir, 'dead-letters');
}

/** Sortable, unique: failure time then randomness. */
function newId(): string {
  return `${Date.now().toString().padStart(14, '0')}-${randomBytes(4).toString('hex')}`;
}

/** Write then rename, so a reader never sees half a file. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, text);
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

export class LocalDeadLetterSink implements DeadLetterSink {
  constructor(private readonly dataDir: string) {}

  async send(letter: DeadLetter): Promise<void> {
    await this.sendWithId(letter);
  }

  async sendWithId(letter: DeadLetter): Promise<string> {
    const dir = deadLetterDir(this.dataDir, letter.kind);
    await mkdir(dir, { recursive: true });
    const id = newId();
    const stored: StoredDeadLetter = { id, ...letter };
    await writeFileAtomic(join(dir, `${id}.json`), JSON.stringify(stored, null, 2) + '\n');
    return id;
  }

  /** Every dead letter (of one kind, or all), oldest first. Unreadable files are skipped. */
  async list(kind?: JobKind): Promise<StoredDeadLetter[]> {
    const kinds = kind ? [kind] : [...JOB_KINDS];
    const out: StoredDeadLetter[] = [];
    for (const k of kinds) {
      let names: string[];
      try {
        names = await readdir(deadLetterDir(this.dataDir, k));
      } catch {
        continue;
      }
      for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
        const letter = await this.get(k, name.slice(0, -'.json'.length));
        if (letter) out.push(letter);
      }
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  async get(kind: JobKind, id: string): Promise<StoredDeadLetter | undefined> {
    if (!/^[A-Za-z0-9-]+$/.test(id)) return undefined;
    try {
      const parsed = JSON.parse(await readFile(join(deadLetterDir(this.dataDir, kind), `${id}.json`), 'utf8')) as StoredDeadLetter;
      return { ...parsed, id, kind };
    } catch {
      return undefined;
    }
  }

  async remove(kind: JobKind, id: string): Promise<void> {
    if (!/^[A-Za-z0-9-]+$/.test(id)) return;
    await rm(join(deadLetterDir(this.dataDir, kind), `${id}.json`), { force: true });
  }
}
