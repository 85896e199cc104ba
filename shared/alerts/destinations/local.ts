/**
 * The local sink: appends one JSON line per alert to a file (`DATA_DIR/alerts.jsonl` in the local
 * runtime). Each line is written with a single append, so concurrent writers never interleave.
 */
import { appendFile, mkdir } from 'node:fs/promises';
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
        await appendFile(options.path, `${JSON.stringify({ destination: options.name, ...message })}\n`);
      } catch (cause) {
        throw new DestinationError(options.name, `cannot append to ${options.path} (${(cause as NodeJS.ErrnoException).code ?? 'error'}).`, { retryable: true, cause });
      }
    },
  };
}
