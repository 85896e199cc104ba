/**
 * The archive of received notifications: every verified notification is stored before its jobs are
 * queued, so `kreports replay --notification <id>` can re-create its jobs later (SPEC §4).
 *
 * Key: `archive/notifications/<yyyy>/<mm>/<dd>/<eventNotificationJobId>.json` (UTC date of receipt).
 *
 * Two document versions, both one JSON object:
 * - version 2, the usual JSON notification: the received body is embedded as is, byte for byte, as
 *   the value of `notification`. The receiver only concatenates strings: no escaping, no scan of the
 *   body (writing it as a JSON string was ~5 µs of a ~40 µs notification), and a person reading the
 *   archive sees the notification as an object.
 * - version 1, anything else (legacy `data=`, XML, a JSON body with a BOM or surrounding
 *   whitespace): the body as a JSON string in `body`.
 * Both keep what is needed to interpret the body. The signature is not kept: it was verified on
 * arrival, and a stored signature next to its body would be material for guessing the secret.
 */
import { z } from '../validation/zod.js';

export const ARCHIVE_PREFIX = 'archive/notifications/';

/** `archive/notifications/<yyyy>/<mm>/<dd>/<eventNotificationJobId>.json` (UTC date of receipt). */
export function archiveKeyFor(eventNotificationJobId: string, receivedAt: Date): string {
  return archiveKeyForIso(eventNotificationJobId, receivedAt.toISOString());
}

export function archiveKeyForIso(eventNotificationJobId: string, iso: string): string {
  return `${ARCHIVE_PREFIX}${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${eventNotificationJobId}.json`;
}

/** What comes with every archived body. */
export interface ArchiveEnvelope {
  readonly eventNotificationJobId: string;
  readonly receivedAt: string;
  readonly contentType?: string;
  readonly hashAlgo: string;
  readonly bodyFormat: string;
  /**
   * The partner id the receiver was configured with: it stands in for a notification whose object
   * carries none, so a replay needs it to give the same job ids. (Absent in documents from before it was kept.)
   */
  readonly partnerId?: number;
}

const envelopeShape = {
  eventNotificationJobId: z.string(),
  receivedAt: z.string(),
  contentType: z.optional(z.string()),
  hashAlgo: z.string(),
  bodyFormat: z.string(),
  partnerId: z.optional(z.int()),
};

const jsonObject = z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'must be a JSON object (the notification)');

export const ArchivedNotificationSchema = z.discriminatedUnion('version', [
  z.looseObject({ version: z.literal(1), ...envelopeShape, body: z.string() }),
  z.looseObject({ version: z.literal(2), ...envelopeShape, notification: jsonObject }),
]);
export type ArchivedNotification = z.infer<typeof ArchivedNotificationSchema>;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * The archive document for a verified body. `text` is `body` decoded (the receiver has both).
 * A body that is exactly one JSON object (`bodyFormat` json, starting with `{` and ending with `}`:
 * JSON.parse accepted it, so it is valid JSON as it stands) becomes version 2; anything else version 1.
 */
export function archiveDocument(envelope: ArchiveEnvelope, body: Uint8Array, text: string): string {
  const version = envelope.bodyFormat === 'json' && body[0] === OPEN_BRACE && body[body.length - 1] === CLOSE_BRACE ? 2 : 1;
  // JSON.stringify of the envelope, written out field by field (it runs for every notification).
  const head =
    `{"version":${version},"eventNotificationJobId":${jsonStringLiteral(envelope.eventNotificationJobId)},"receivedAt":${jsonStringLiteral(envelope.receivedAt)}` +
    (envelope.contentType !== undefined ? `,"contentType":${jsonStringLiteral(envelope.contentType)}` : '') +
    `,"hashAlgo":${jsonStringLiteral(envelope.hashAlgo)},"bodyFormat":${jsonStringLiteral(envelope.bodyFormat)}` +
    (Number.isSafeInteger(envelope.partnerId) ? `,"partnerId":${envelope.partnerId}` : '');
  // A string, not bytes: concatenation makes a rope without copying the body, and the store encodes
  // it once on the way out. `text` is valid UTF-8 decoded, so it encodes back to exactly `body`.
  if (version === 2) return `${head},"notification":${text}}`;
  return `${head},"body":${jsonStringLiteral(text)}}`;
}

/** Characters JSON.stringify writes as `\\uXXXX` or a short escape, besides `"` and `\\` (a valid surrogate pair also matches: slow path). */
const NEEDS_ESCAPE = /[\u0000-\u001f\ud800-\udfff]/;

/**
 * `JSON.stringify(text)`, faster for the usual body (no control characters, no non-BMP text): then
 * only `"` and `\\` are escaped, found with indexOf.
 */
export function jsonStringLiteral(text: string): string {
  if (NEEDS_ESCAPE.test(text)) return JSON.stringify(text);
  let out = '"';
  let from = 0;
  let quote = text.indexOf('"');
  let backslash = text.indexOf('\\');
  while (quote !== -1 || backslash !== -1) {
    let at: number;
    if (backslash === -1 || (quote !== -1 && quote < backslash)) {
      at = quote;
      quote = text.indexOf('"', quote + 1);
    } else {
      at = backslash;
      backslash = text.indexOf('\\', backslash + 1);
    }
    out += text.slice(from, at) + '\\';
    from = at;
  }
  return out + text.slice(from) + '"';
}
