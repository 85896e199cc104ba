/**
 * Configuration rules against a notification, and the job messages the matching rules produce.
 *
 * Matching compares what Kaltura sends with what a person writes: enum values by number or by name
 * (WIRE_FACTS §6.4), numbers or numeric strings alike, `eventObjectType` also as a plugin string
 * (`scheduleEventNotifications.*` matches any type of that plugin), fields of `object` by dot path.
 */
import type { ReportingConfig, Rule, RuleMatch, Scope } from '../config/schema.js';
import type { JobKind, JobMessage, JobTrigger } from '../jobs/job-message.js';
import { createJobMessage } from '../jobs/create-job-message.js';
import { EVENT_OBJECT_TYPES, EVENT_TYPES, type KalturaHttpNotification } from './notification-schema.js';

type Scalar = string | number | boolean;
const asList = <T>(v: T | ReadonlyArray<T> | undefined): ReadonlyArray<T> => (v === undefined ? [] : Array.isArray(v) ? (v as ReadonlyArray<T>) : [v as T]);
const NUMERIC = /^-?\d+(\.\d+)?$/;

function enumNumber(value: string | number, names: Readonly<Record<string, number>>): number | string {
  if (typeof value === 'number') return value;
  const trimmed = value.trim();
  if (NUMERIC.test(trimmed)) return Number(trimmed);
  return names[trimmed.toUpperCase()] ?? trimmed;
}

function matchesEventType(wanted: ReadonlyArray<string | number>, actual: number): boolean {
  return wanted.some((w) => enumNumber(w, EVENT_TYPES) === actual);
}

function matchesObjectType(wanted: ReadonlyArray<string | number>, actual: number | string): boolean {
  return wanted.some((w) => {
    const expected = enumNumber(w, EVENT_OBJECT_TYPES);
    if (typeof expected === 'number' || typeof actual === 'number') return expected === actual;
    if (expected.endsWith('.*')) return actual.startsWith(expected.slice(0, -1));
    return expected === actual;
  });
}

/** Equality of a configured scalar and a received value: `2` = `"2"`, `true` = `"true"` = `1`. */
export function scalarEquals(wanted: Scalar, actual: unknown): boolean {
  if (actual === undefined || actual === null || typeof actual === 'object') return false;
  if (typeof wanted === 'boolean') {
    if (typeof actual === 'boolean') return actual === wanted;
    const text = String(actual).trim().toLowerCase();
    return wanted ? text === 'true' || text === '1' : text === 'false' || text === '0' || text === '';
  }
  const a = typeof actual === 'boolean' ? (actual ? 1 : 0) : actual;
  if (typeof wanted === 'number' || (NUMERIC.test(String(wanted).trim()) && NUMERIC.test(String(a).trim()))) {
    const n = Number(String(a).trim());
    return String(a).trim() !== '' && n === Number(wanted);
  }
  return String(a) === wanted;
}

function fieldAt(object: Record<string, unknown> | undefined, path: string): unknown {
  let value: unknown = object;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

export function ruleMatches(when: RuleMatch, notification: KalturaHttpNotification): boolean {
  if (when.eventType !== undefined && !matchesEventType(asList(when.eventType), notification.eventType)) return false;
  if (when.eventObjectType !== undefined && !matchesObjectType(asList(when.eventObjectType), notification.eventObjectType)) return false;
  if (when.templateSystemName !== undefined && !asList(when.templateSystemName).includes(notification.templateSystemName ?? '\u0000')) return false;
  for (const [path, wanted] of Object.entries(when.object ?? {})) {
    const actual = fieldAt(notification.object, path);
    if (!asList<Scalar>(wanted).some((w) => scalarEquals(w, actual))) return false;
  }
  return true;
}

/** Entry-like objects (media, live stream, playlist...) get `entry` scope by default; others `partner`. */
export function isEntryLike(notification: KalturaHttpNotification): boolean {
  const object = notification.object;
  if (!object || typeof object.id !== 'string' || object.id === '') return false;
  const type = typeof object.objectType === 'string' ? object.objectType : '';
  if (/(Category|User|Vendor)Entry$|ServerNode$/.test(type)) return false;
  return notification.eventObjectType === 1 || notification.eventObjectType === 38 || /^Kaltura\w*(Entry|Playlist)$/.test(type);
}

export interface MatchContext {
  readonly config: ReportingConfig;
  /** Used when the object carries no partnerId. */
  readonly partnerId: number;
  readonly receivedAt: Date;
  /** `receivedAt.toISOString()`, when the caller has it already. */
  readonly receivedAtIso?: string;
  readonly archiveKey?: string;
}

export interface UnresolvedJob {
  readonly rule: string;
  readonly job: string;
  readonly kind: JobKind;
  readonly reason: string;
  readonly errorName: string;
}

export interface MatchResult {
  readonly matchedRules: ReadonlyArray<string>;
  readonly messages: ReadonlyArray<JobMessage>;
  /** Jobs of matching rules that could not be built (a placeholder without a value...): logged and counted, the others still go. */
  readonly unresolved: ReadonlyArray<UnresolvedJob>;
}

export const DEFAULT_RULE_WINDOW = { lastDays: 30 } as const;

function partnerIdOf(notification: KalturaHttpNotification, fallback: number): number {
  const raw = notification.object?.partnerId;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

export function jobsForNotification(notification: KalturaHttpNotification, context: MatchContext): MatchResult {
  const receivedAt = context.receivedAtIso ?? context.receivedAt.toISOString();
  const trigger: JobTrigger = context.archiveKey
    ? { type: 'notification', eventNotificationJobId: notification.eventNotificationJobId, archiveKey: context.archiveKey, receivedAt }
    : { type: 'notification', eventNotificationJobId: notification.eventNotificationJobId, receivedAt };
  const defaultScope: Scope = isEntryLike(notification) ? 'entry' : 'partner';
  const partnerId = partnerIdOf(notification, context.partnerId);
  const matchedRules: string[] = [];
  const messages: JobMessage[] = [];
  const unresolved: UnresolvedJob[] = [];
  const rules: ReadonlyArray<Rule> = context.config.rules;
  for (const rule of rules) {
    if (!ruleMatches(rule.when, notification)) continue;
    matchedRules.push(rule.name);
    for (const spec of rule.jobs) {
      try {
        messages.push(
          createJobMessage(spec, {
            rule: rule.name,
            trigger,
            at: context.receivedAt,
            timezone: context.config.kaltura.timezone,
            partnerId,
            defaultWindow: DEFAULT_RULE_WINDOW,
            defaultScope,
            notification: notification as KalturaHttpNotification & { object?: Record<string, unknown> },
          }),
        );
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        unresolved.push({ rule: rule.name, job: spec.name, kind: spec.kind, reason: e.message, errorName: e.name });
      }
    }
  }
  return { matchedRules, messages, unresolved };
}
