/**
 * The alert a person reads: what crossed what, for which entry or event (name and id), over which
 * window (in the partner's timezone), a link back to Kaltura, and for "resolved" how long it lasted.
 *
 * One neutral model; each destination renders it (Slack Block Kit, Teams Adaptive Card, e-mail
 * tokens, JSON for webhooks, SNS and the local sink).
 */
import type { JobSubject, JobWindow } from '../jobs/job-message.js';

/** `summary`: a scheduled run's headline numbers (exports/summary.ts), not a threshold alert. */
export type AlertKind = 'firing' | 'repeat' | 'resolved' | 'error' | 'no-data' | 'summary';
export type AlertSeverity = 'info' | 'warning' | 'critical';

/** What a check or a live watch saw, for the alert engine. */
export interface Observation {
  readonly status: 'firing' | 'ok' | 'no-data' | 'error';
  /** One sentence: what crossed what, e.g. `count_plays is 0, below the threshold < 1`. */
  readonly description: string;
  readonly metric?: string;
  readonly value?: number;
  /** The condition in words, e.g. `< 1` or `change <= -50 %`. */
  readonly condition?: string;
  readonly window?: JobWindow;
  /** Extra facts shown as label/value pairs (previous value, stream, viewers…). */
  readonly facts?: ReadonlyArray<{ readonly label: string; readonly value: string }>;
}

export interface AlertMessage {
  /** Unique per notification; destinations may use it to de-duplicate. */
  readonly id: string;
  readonly kind: AlertKind;
  readonly severity: AlertSeverity;
  /** One line, no markup. */
  readonly title: string;
  /** A few plain-text lines: the same facts a person needs without opening anything. */
  readonly text: string;
  readonly rule: string;
  readonly job: string;
  readonly jobKind: 'check' | 'live-health' | 'export';
  readonly jobId: string;
  readonly subject: JobSubject;
  readonly metric?: string;
  readonly value?: number;
  readonly condition?: string;
  readonly description: string;
  readonly window?: { readonly from: string; readonly to: string; readonly timezone: string; readonly text: string };
  readonly facts: ReadonlyArray<{ readonly label: string; readonly value: string }>;
  readonly link: string;
  /** When the alert started (firing, error or no-data episode), ISO 8601. */
  readonly since?: string;
  /** For `resolved`: how long the episode lasted, in seconds. */
  readonly durationSeconds?: number;
  /** When this message was produced, ISO 8601. */
  readonly at: string;
}

const KIND_WORD: Record<AlertKind, string> = {
  firing: 'FIRING',
  repeat: 'STILL FIRING',
  resolved: 'RESOLVED',
  error: 'CHECK FAILED',
  'no-data': 'NO DATA',
  summary: 'SUMMARY',
};

const SCOPE_WORD: Record<JobSubject['scope'], string> = {
  entry: 'entry',
  category: 'category',
  'virtual-event': 'virtual event',
  'child-partner': 'child partner',
  user: 'user',
  partner: 'partner',
};

/** `My video (1_abc)`, or just the id when the name is unknown. */
export function subjectLabel(subject: JobSubject): string {
  const what = SCOPE_WORD[subject.scope];
  return subject.name && subject.name !== subject.id ? `${what} "${subject.name}" (${subject.id})` : `${what} ${subject.id}`;
}

/** A link back to the subject in the KMC. */
export function kalturaLink(kmcUrl: string, subject: JobSubject, jobKind: 'check' | 'live-health' | 'export'): string {
  const base = kmcUrl.replace(/\/+$/, '');
  const id = encodeURIComponent(subject.id);
  switch (subject.scope) {
    case 'entry':
      return jobKind === 'live-health' ? `${base}/index.php/kmcng/content/entries/entry/${id}/live` : `${base}/index.php/kmcng/analytics/entry?id=${id}`;
    case 'category':
      return `${base}/index.php/kmcng/content/categories/category/${id}/metadata`;
    case 'user':
      return `${base}/index.php/kmcng/analytics/user?id=${id}`;
    case 'virtual-event':
    case 'partner':
    case 'child-partner':
      return `${base}/index.php/kmcng/analytics`;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** `Nov 20, 2026, 00:00` in `timeZone`. */
export function formatInstant(seconds: number, timeZone: string): string {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f.format(new Date(seconds * 1000));
}

export function describeWindow(window: JobWindow): string {
  return `${formatInstant(window.from, window.timezone)} to ${formatInstant(window.to, window.timezone)} (${window.timezone})`;
}

/** `2 h 15 min`, `45 s`, `3 d 4 h`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

export interface BuildAlertMessageInput {
  readonly id: string;
  readonly kind: AlertKind;
  readonly severity: AlertSeverity;
  readonly rule: string;
  readonly job: string;
  readonly jobKind: 'check' | 'live-health';
  readonly jobId: string;
  readonly subject: JobSubject;
  readonly observation: Observation;
  /** What the alert was before (for `resolved`: what recovered). */
  readonly previousStatus?: string;
  readonly since?: Date;
  readonly now: Date;
  readonly kmcUrl: string;
}

export function buildAlertMessage(input: BuildAlertMessageInput): AlertMessage {
  const { observation: obs, subject } = input;
  const who = subjectLabel(subject);
  const durationSeconds = input.kind === 'resolved' && input.since ? Math.round((input.now.getTime() - input.since.getTime()) / 1000) : undefined;
  let headline: string;
  switch (input.kind) {
    case 'resolved':
      headline =
        input.previousStatus === 'error'
          ? `${input.job} works again for ${who}`
          : input.previousStatus === 'no-data'
            ? `${input.job} has data again for ${who}`
            : `${input.job} recovered for ${who}`;
      break;
    case 'error':
      headline = `${input.job} could not run for ${who}`;
      break;
    case 'no-data':
      headline = `${input.job} found no data for ${who}`;
      break;
    default:
      headline = `${input.job} for ${who}`;
  }
  const title = `[${KIND_WORD[input.kind]}] ${headline}`;
  const window = obs.window
    ? { from: new Date(obs.window.from * 1000).toISOString(), to: new Date(obs.window.to * 1000).toISOString(), timezone: obs.window.timezone, text: describeWindow(obs.window) }
    : undefined;
  const link = kalturaLink(input.kmcUrl, subject, input.jobKind);
  const lines = [
    title,
    obs.description,
    ...(window ? [`Window: ${window.text}`] : []),
    ...obs.facts?.map((f) => `${f.label}: ${f.value}`) ?? [],
    ...(input.kind === 'resolved' && durationSeconds !== undefined ? [`Lasted ${formatDuration(durationSeconds)} (since ${input.since!.toISOString()})`] : []),
    ...(input.kind === 'repeat' && input.since ? [`Firing since ${input.since.toISOString()}`] : []),
    `Rule ${input.rule}, job ${input.job}`,
    `Open in Kaltura: ${link}`,
  ];
  return {
    id: input.id,
    kind: input.kind,
    severity: input.kind === 'resolved' ? 'info' : input.severity,
    title,
    text: lines.join('\n'),
    rule: input.rule,
    job: input.job,
    jobKind: input.jobKind,
    jobId: input.jobId,
    subject,
    ...(obs.metric !== undefined ? { metric: obs.metric } : {}),
    ...(obs.value !== undefined ? { value: obs.value } : {}),
    ...(obs.condition !== undefined ? { condition: obs.condition } : {}),
    description: obs.description,
    ...(window ? { window } : {}),
    facts: obs.facts ?? [],
    link,
    ...(input.since ? { since: input.since.toISOString() } : {}),
    ...(durationSeconds !== undefined ? { durationSeconds } : {}),
    at: input.now.toISOString(),
  };
}
