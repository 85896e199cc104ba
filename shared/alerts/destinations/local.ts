/**
 * The local sink: appends one JSON line per alert to a file (`DATA_DIR/alerts.jsonl` in the local
 * runtime). Each line is written with a single append, so concurrent writers never interleave.
 *
 * Idempotent by message id: a notification the alert engine sends again (its sender died after
 * writing the line but before recording the delivery, and the next evaluation took it over) is not
 * written twice. The ids already in the file are read once per process and kept; sends to the file
 * are serialised within the process, so "is it there? then append" cannot race with itself. A last
 * line cut short by a crash does not count as written, and is ended before the next line.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AlertMessage } from '../alert-message.js';
import { DestinationError, type AlertDestination } from './destination.js';

export interface LocalDestinationOptions {
  readonly name: string;
  /** The JSON-lines file, e.g. `${DATA_DIR}/alerts.jsonl`. */
  readonly path: string;
}

/** Per file (several destinations may share one): the `destination\u0000id` pairs written, and the send queue. */
interface SinkFile {
  written: Promise<Set<string>> | undefined;
  tail: Promise<unknown>;
}
const files = new Map<string, SinkFile>();

export function createLocalDestination(options: LocalDestinationOptions): AlertDestination {
  let ready: Promise<unknown> | undefined;
  return {
    name: options.name,
    type: 'local',
    async send(message: AlertMessage) {
      let file = files.get(options.path);
      if (!file) files.set(options.path, (file = { written: undefined, tail: Promise.resolve() }));
      const sink = file;
      const run = sink.tail.then(async () => {
        try {
          await (ready ??= mkdir(dirname(options.path), { recursive: true }));
          const written = await (sink.written ??= readWritten(options.path).catch((error: unknown) => {
            sink.written = undefined;
            throw error;
          }));
          const key = `${options.name}\u0000${message.id}`;
          if (written.has(key)) return;
          const { id, ...rest } = message;
          await appendFile(options.path, `${JSON.stringify({ destination: options.name, id, ...rest })}\n`);
          written.add(key);
        } catch (cause) {
          throw new DestinationError(options.name, `cannot append to ${options.path} (${(cause as NodeJS.ErrnoException).code ?? 'error'}).`, { retryable: true, cause });
        }
      });
      sink.tail = run.catch(() => undefined);
      return run;
    },
  };
}

/** The (destination, id) pairs of the complete lines already in the file. */
async function readWritten(path: string): Promise<Set<string>> {
  const written = new Set<string>();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return written;
    throw error;
  }
  const lines = text.split('\n');
  // After the last newline: empty, or a line a crash cut short. End that line, so the next alert
  // starts a line of its own instead of continuing the broken one.
  if (lines.pop()) await appendFile(path, '\n');
  for (const line of lines) {
    try {
      const { destination, id } = JSON.parse(line) as { destination?: unknown; id?: unknown };
      if (typeof destination === 'string' && typeof id === 'string') written.add(`${destination}\u0000${id}`);
    } catch {
      // not one of ours, or damaged: it records nothing
    }
  }
  return written;
}
