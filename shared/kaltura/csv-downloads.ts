/**
 * CSV exports (WIRE_FACTS §2):
 * - report.getUrlForReportAsCsv: synchronous on the server, answers a JSON string URL
 *   (`…/service/report/action/serve/ks/<KS>/id/<file>/report.csv`); `headers` = "<totals>;<table>".
 * - The download of that URL, streamed; a body shorter than its Content-Length (or a socket that
 *   dies mid-way) makes the stream fail with a retryable KalturaTransportError, never a short file.
 * - report.getCsvFromStringParams: a `file` action, raw CSV bytes (with BOM) — see ApiCaller.file.
 *
 * The URL embeds a KS: it is never logged or put in an error message.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { CsvDownload } from './kaltura-api.js';
import { KalturaResponseError, KalturaTransportError, notJsonError } from './errors.js';
import { header, readText, toTransportError, type StreamResponse } from './transport.js';

export function csvHeadersParam(totalHeaders: ReadonlyArray<string> = [], tableHeaders: ReadonlyArray<string>): string {
  const clean = (names: ReadonlyArray<string>) => names.map((n) => n.replace(/[;,]/g, ' ')).join(',');
  return `${clean(totalHeaders)};${clean(tableHeaders)}`;
}

/** The URL without its KS, for messages: `host/…/serve/ks/[redacted]/id/…`. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname.replace(/\/ks\/[^/]+/i, '/ks/[redacted]')}`;
  } catch {
    return '(invalid URL)';
  }
}

export function validateCsvUrl(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    // The server swallows report errors in this action and answers null (WIRE_FACTS §2.1).
    throw new KalturaResponseError('Kaltura report.getUrlForReportAsCsv returned no URL (the report failed on the server); it will be retried.', { retryable: true });
  }
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
  } catch {
    throw new KalturaResponseError('Kaltura report.getUrlForReportAsCsv returned something that is not an http(s) URL.');
  }
  return value;
}

/**
 * A download answered with an HTML page (a proxy, login or maintenance page) must not be stored as the
 * CSV: it is read (bounded) and refused like an HTML page in place of JSON, naming its title and the
 * setting to check. Not retried: the same proxy answers the same page.
 */
export async function refuseHtmlPage(res: StreamResponse, call: string, setting = 'KALTURA_SERVICE_URL'): Promise<void> {
  if (!/text\/html|application\/xhtml/i.test(header(res.headers, 'content-type') ?? '')) return;
  const text = await readText(res.body, 64 * 1024);
  throw notJsonError(text.trim() === '' ? '<html></html>' : text, call, setting, undefined, 'the CSV');
}

/**
 * Passes bytes through, counting them; at the end, fewer bytes than `expected` is an error. Errors
 * of the source (socket reset mid-body) are mapped to retryable transport errors too.
 */
export class LengthCheck extends Transform {
  private seen = 0;
  constructor(
    private readonly expected: number | undefined,
    private readonly call: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    if (this.seen === 0) {
      // Every file Kaltura serves has at least a title or a header line: nothing at all is a server that
      // failed before writing (HTTP 200, no X-Kaltura error header), not an empty report.
      done(new KalturaTransportError(`Kaltura ${this.call}: the download was empty (the server failed while answering)`, { call: this.call, kind: 'truncated' }));
      return;
    }
    if (this.expected !== undefined && this.seen < this.expected) {
      done(
        new KalturaTransportError(`Kaltura ${this.call}: the download was cut short (${this.seen} of ${this.expected} bytes)`, { call: this.call, kind: 'truncated' }),
      );
      return;
    }
    done();
  }
  get bytes(): number {
    return this.seen;
  }
}

export function toCsvDownload(res: StreamResponse, call: string, idleTimeoutMs = 0): CsvDownload {
  const lengthHeader = header(res.headers, 'content-length');
  const contentLength = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
  const check = new LengthCheck(contentLength, call);
  res.body.on('error', (error) => {
    const mapped = toTransportError(error, call, false, idleTimeoutMs);
    const truncated =
      mapped instanceof KalturaTransportError && mapped.details.kind !== 'timeout'
        ? new KalturaTransportError(`Kaltura ${call}: the download was cut short (the connection ended after ${check.bytes}${contentLength !== undefined ? ` of ${contentLength}` : ''} bytes)`, { call, kind: 'truncated' }, { cause: error })
        : mapped;
    check.destroy(truncated);
  });
  // The body may break before anyone reads it (the caller still opening its upload): without a
  // listener that 'error' event would crash the process. The reader still gets the error: iterating a
  // destroyed stream throws what destroyed it.
  check.on('error', () => undefined);
  // A reader that stops early (its upload failed, the CSV shape was wrong) destroys `check` only:
  // `pipe` would leave the HTTP body paused and open, holding its Kaltura budget slot until the
  // server drops the connection. Destroying the body ends the exchange and gives the slot back.
  check.once('close', () => {
    if (!res.body.destroyed) res.body.destroy();
  });
  res.body.pipe(check);
  return { body: check, contentType: header(res.headers, 'content-type'), contentLength };
}
