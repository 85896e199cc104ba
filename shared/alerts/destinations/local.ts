/**
 * The local sink: appends one JSON line per alert to a file (`DATA_DIR/alerts.jsonl` in the local
 * runtime). Each line is written with a single append, so concurrent writers never interleave.
 *
 * Idempotent by message id: a notification the alert engine sends again (its sender died after
 * writing the line but before recording the delivery, and the next evaluation took it over) is not
 * written twice. The file is read for that, which is fine for a file of alerts.
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

export function createLocalDestination(options: LocalDestinationOptions): AlertDestination {
  let ready: Promise<unknown> | undefined;
  return {
    name: options.name,
    type: 'local',
    async send(message: AlertMessage) {
      try {
        await (ready ??= mkdir(dirname(options.path), { recursive: true }));
        // Each line starts with the destination and the message id, so a sent message is easy to find.
        const { id, ...rest } = message;
        const line = JSON.stringify({ destination: options.name, id, ...rest });
        const prefix = `${JSON.stringify({ destination: options.name, id: message.id }).slice(0, -1)},`;
        if (await alreadyWritten(options.path, `\n${prefix}`)) return;
        await appendFile(options.path, `${line}\n`);
      } catch (cause) {
        throw new DestinationError(options.name, `cannot append to ${options.path} (${(cause as NodeJS.ErrnoException).code ?? 'error'}).`, { retryable: true, cause });
      }
    },
  };
}

async function alreadyWritten(path: string, linePrefix: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  return `\n${text}`.includes(linePrefix);
}
