/**
 * Deterministic object keys for export outputs (SPEC §5):
 *
 *   <prefix><rule>/<job>/<subject-id>/<window.label>.csv
 *   <prefix><rule>/<job>/<subject-id>/<window.label>.manifest.json
 *
 * e.g. `reports/entry-ready/performance/1_abc123/2026-10-29_2026-11-28.csv`. The same (rule or
 * schedule, job, subject, period) always gives the same key, so a re-run or a backfill replaces
 * the file instead of adding a second one. Rule, schedule and job names are already path-safe
 * (config schema); the subject id comes from Kaltura or the event, so it is made S3-safe here:
 * characters outside `A-Za-z0-9._-` become `~XX` (hex of each UTF-8 byte), which is reversible
 * and keeps entry ids like `1_abc` unchanged.
 */
import type { JobMessage } from '../jobs/job-message.js';

const SAFE = /^[A-Za-z0-9._-]$/;

/** S3-safe, reversible encoding of one path segment. `.` and `..` alone are escaped too. */
export function safeSegment(value: string): string {
  if (value === '') return '~';
  let out = '';
  for (const ch of value) {
    if (SAFE.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `~${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (out === '.' || out === '..') out = out.replace(/\./g, '~2E');
  return out;
}

export interface OutputKeys {
  readonly data: string;
  readonly manifest: string;
}

/** Keys of a job's CSV and its manifest. `prefix` is the configuration's `output.prefix` (e.g. `reports/`). */
export function outputKeys(prefix: string, message: Pick<JobMessage, 'rule' | 'subject' | 'window'> & { spec: { name: string } }, extension = 'csv'): OutputKeys {
  const base = `${normalizePrefix(prefix)}${safeSegment(message.rule)}/${safeSegment(message.spec.name)}/${safeSegment(message.subject.id)}/${safeSegment(message.window.label)}`;
  return { data: `${base}.${extension}`, manifest: `${base}.manifest.json` };
}

/** `''` stays empty; anything else ends with exactly one `/` and has no leading `/`. */
export function normalizePrefix(prefix: string): string {
  const p = prefix.replace(/^\/+/, '');
  if (p === '') return '';
  return p.endsWith('/') ? p : `${p}/`;
}
