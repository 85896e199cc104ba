/**
 * The receiver's per-notification work was made cheaper (bench/receiver.bench.ts): redaction skips
 * patterns that cannot match, child loggers are cheap to make, placeholders are resolved without
 * building paths, job ids use one-shot hashing. Each must give exactly what the straightforward
 * version gave — the same masked text, the same lines, the same messages, the same errors.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { createLogger, emitMetrics, redact, redactString, type MetricEntry } from '../../shared/logging/logger.js';
import { resolvePlaceholders, PlaceholderError } from '../../shared/jobs/placeholders.js';
import { createJobMessage, deterministicJobId, type JobOrigin } from '../../shared/jobs/create-job-message.js';
import { computeWindow, localDay } from '../../shared/jobs/window.js';
import type { JobSpec } from '../../shared/config/schema.js';
import { validateConfig } from '../../shared/config/load-config.js';
import { KalturaHttpNotificationSchema, parseKalturaHttpNotification } from '../../shared/webhook/notification-schema.js';
import { verifySignature, type Headers } from '../../shared/webhook/signature.js';
import { timingSafeEqual } from 'node:crypto';
import { archiveDocument, ArchivedNotificationSchema, jsonStringLiteral } from '../../shared/webhook/notification-archive.js';

/** The redaction as it was: every pattern over every string. */
function referenceRedactString(text: string): string {
  let out = text;
  for (const pattern of [/djJ8[A-Za-z0-9_\-+/=]{8,}/g, /\b[a-f0-9]{40,128}\b/gi, /\/ks\/[^/\s"]+/g]) out = out.replace(pattern, '[redacted]');
  return out;
}

/** Strings made of the pieces the patterns look for, so matches, near misses and overlaps are common. */
const suspicious = fc
  .array(fc.oneof(fc.constantFrom('djJ8', '/ks/', '/', 'ks', ' ', '"', '-', '_', '=', '+', 'x', 'é', 'DJJ8', '/KS/'), fc.stringMatching(/^[0-9a-fA-F]{1,70}$/), fc.string({ maxLength: 6 })), { maxLength: 12 })
  .map((parts) => parts.join(''));

describe('redaction', () => {
  it('masks exactly what running every pattern over the whole string masks', () => {
    fc.assert(
      fc.property(suspicious, (text) => {
        expect(redactString(text)).toBe(referenceRedactString(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('still masks a KS, a signature and a KS path inside log fields, and secret-named keys', () => {
    // Prepare
    const ks = 'djJ8NDI0Mnx' + 'A'.repeat(60);
    const signature = createHash('sha256').update('x').digest('hex');
    const lines: string[] = [];
    const logger = createLogger({ service: 'test', level: 'debug', write: (l) => lines.push(l) }).child({ correlationId: '42' });

    // Act
    logger.info('call failed', { detail: `url https://x/api_v3/ks/${ks}/service/a`, sig: `sig=${signature}`, nested: [{ note: ks }], Admin_Secret: 'hunter2', 'X-Kaltura-Signature': 'abc' });

    // Assess
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(lines[0]).not.toContain(ks.slice(0, 20));
    expect(lines[0]).not.toContain(signature);
    expect(lines[0]).not.toContain('hunter2');
    expect(line).toMatchObject({ level: 'info', message: 'call failed', service: 'test', correlationId: '42', Admin_Secret: '[redacted]', 'X-Kaltura-Signature': '[redacted]' });
    expect(Object.keys(line)).toEqual(['level', 'time', 'message', 'service', 'correlationId', 'detail', 'sig', 'nested', 'Admin_Secret', 'X-Kaltura-Signature']);
  });

  it('redacts values of any shape as before (errors with causes, arrays, depth limit)', () => {
    const error = new Error(`failed with ${'ab'.repeat(20)}`, { cause: new Error('inner /ks/secret') });
    expect(redact({ error, list: [1, 'djJ8aaaaaaaaaaaa', null], deep: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } } })).toEqual({
      error: { name: 'Error', message: 'failed with [redacted]', cause: { name: 'Error', message: 'inner [redacted]' } },
      list: [1, '[redacted]', null],
      deep: { a: { b: { c: { d: { e: { f: '[deep]' } } } } } },
    });
  });
});

describe('child loggers', () => {
  it('write the same lines as the parent plus their fields, at the parent level, callable unbound', () => {
    // Prepare
    const lines: string[] = [];
    const root = createLogger({ service: 'svc', level: 'info', write: (l) => lines.push(l), fields: { region: 'r1' } });
    const { info, debug, metric } = root.child({ correlationId: '7' }).child({ rule: 'r' });

    // Act
    debug('not written');
    info('hello', { n: 1, region: 'r2' });
    metric('Notifications', 1, { outcome: 'accepted' });

    // Assess
    expect(lines).toHaveLength(2);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(line)).toEqual(['level', 'time', 'message', 'service', 'region', 'correlationId', 'rule', 'n']);
    expect(line).toMatchObject({ level: 'info', message: 'hello', service: 'svc', region: 'r2', correlationId: '7', rule: 'r', n: 1 });
    expect(JSON.parse(lines[1]!)).toMatchObject({ _aws: { CloudWatchMetrics: [{ Namespace: 'KalturaReporting', Dimensions: [['service', 'outcome']], Metrics: [{ Name: 'Notifications', Unit: 'Count' }] }] }, service: 'svc', outcome: 'accepted', Notifications: 1 });
  });
});

/** Placeholder resolution as it was: a walk that carries the path of every value. */
function referenceResolve(value: unknown, context: Record<string, unknown>, where: string): unknown {
  const TOKEN = /\{([a-zA-Z][\w]*(?:\.[\w]+)*)\}/g;
  const WHOLE = /^\{([a-zA-Z][\w]*(?:\.[\w]+)*)\}$/;
  const lookup = (path: string) => path.split('.').reduce<unknown>((v, part) => (v === null || typeof v !== 'object' ? undefined : (v as Record<string, unknown>)[part]), context);
  const resolveString = (text: string, path: string): unknown => {
    const whole = WHOLE.exec(text);
    if (whole) {
      const v = lookup(whole[1]!);
      if (v === undefined || v === null || typeof v === 'object') throw new PlaceholderError(whole[1]!, path);
      return v;
    }
    return text.replace(TOKEN, (_, p: string) => {
      const v = lookup(p);
      if (v === undefined || v === null || typeof v === 'object') throw new PlaceholderError(p, path);
      return String(v);
    });
  };
  const walk = (v: unknown, path: string): unknown => {
    if (typeof v === 'string') return v.includes('{') ? resolveString(v, path) : v;
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${path}[${i}]`));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, `${path}.${k}`)]));
    return v;
  };
  return walk(value, where);
}

const outcome = (fn: () => unknown) => {
  try {
    return { value: fn() };
  } catch (error) {
    return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
};

describe('placeholders', () => {
  const context = { object: { id: '0_abc', name: 'Entry', status: 2, nested: { x: 'y' } }, event: { eventNotificationJobId: '99' }, window: { from: 1, to: 2, fromDay: '2026-01-01' }, partnerId: 4242 };
  const text = fc.oneof(
    fc.constantFrom('{object.id}', '{object.status}', 'entry {object.id} in {window.fromDay}', '{object.missing}', 'a {object.nested} b', '{partnerId}', '{event.eventNotificationJobId}', 'no braces', '{not a placeholder', '{object.id}{window.to}'),
    fc.string({ maxLength: 8 }),
  );
  const key = fc.oneof(fc.constantFrom('kind', 'filter', 'order', '__proto__', '0', 'a-b'), fc.string({ maxLength: 5 }));
  const spec = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(key, tie('value'), { maxKeys: 5 })),
  })).value;

  it('resolve any spec exactly as the path-carrying walk did: same copy, or the same error naming the same place', () => {
    fc.assert(
      fc.property(fc.dictionary(key, spec, { maxKeys: 6 }), (value) => {
        const expected = outcome(() => referenceResolve(value, context, 'rule.job'));
        const actual = outcome(() => resolvePlaceholders(value, context, 'rule.job'));
        expect(actual).toStrictEqual(expected);
        if ('value' in actual && typeof value === 'object' && value !== null && Object.keys(value).length > 0) expect(actual.value).not.toBe(value);
      }),
      { numRuns: 3000 },
    );
  });

  it('name the field of a missing placeholder in the error', () => {
    expect(() => resolvePlaceholders({ source: { filter: [{ a: 'x' }, { entryIdIn: '{object.categoryId}' }] } }, context, 'rule.job')).toThrow(
      'Placeholder {object.categoryId} in rule.job.source.filter[1].entryIdIn has no value for this event.',
    );
  });
});

describe('job ids', () => {
  it('are the first 32 hex digits of sha256(rule, job, subject, window label), as before', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (rule, job, subject, label) => {
        expect(deterministicJobId(rule, job, subject, label)).toBe(createHash('sha256').update(`${rule}\u0000${job}\u0000${subject}\u0000${label}`).digest('hex').slice(0, 32));
      }),
      { numRuns: 500 },
    );
  });
});

/** createJobMessage as it was: the window computed and the whole spec resolved for every message. */
function referenceJobMessage(spec: JobSpec, origin: JobOrigin) {
  const window = computeWindow(spec.window ?? origin.defaultWindow, origin.at, origin.timezone);
  const scope = spec.scope ?? origin.defaultScope;
  const object = origin.notification?.object ?? {};
  const windowContext = { from: window.from, to: window.to, fromDay: localDay(window.from * 1000, window.timezone), toDay: localDay(window.to * 1000 - 1, window.timezone), label: window.label };
  const baseContext = { object, event: origin.notification ?? {}, window: windowContext, partnerId: origin.partnerId };
  const where = `${origin.rule}.${spec.name}`;
  let subjectId: string;
  if (spec.subject) subjectId = String(resolvePlaceholders(spec.subject, baseContext, `${where}.subject`));
  else if (origin.subjectId) subjectId = origin.subjectId;
  else if (scope === 'partner') subjectId = String(origin.partnerId);
  else subjectId = String(resolvePlaceholders('{object.id}', baseContext, `${where}.subject`));
  const subject = { scope, id: subjectId, ...(typeof object.name === 'string' && subjectId === object.id ? { name: object.name } : {}) };
  return { version: 1, jobId: deterministicJobId(origin.rule, spec.name, subject.id, window.label), rule: origin.rule, trigger: origin.trigger, subject, window, spec: resolvePlaceholders(spec, { ...baseContext, subject }, where) };
}

describe('job messages', () => {
  it('share the loaded configuration\'s job specs, which cannot be changed in place', () => {
    // Prepare
    const config = validateConfig({ version: 1, kaltura: { timezone: 'UTC' }, rules: [{ name: 'r', when: { eventType: 3 }, jobs: [{ kind: 'export', name: 'e', source: { type: 'table', reportType: 1 } }] }] }, 'test.yaml');
    const spec = config.rules[0]!.jobs[0]!;
    const at = new Date('2026-11-27T08:00:00Z');
    // Act
    const message = createJobMessage(spec, { rule: 'r', trigger: { type: 'notification', eventNotificationJobId: '1', receivedAt: at.toISOString() }, at, timezone: 'UTC', partnerId: 1, defaultWindow: { lastDays: 30 }, defaultScope: 'partner' });
    // Assess
    expect(message.spec).toBe(spec);
    expect(() => {
      (spec as { name: string }).name = 'changed';
    }).toThrow(TypeError);
    expect(() => {
      (config.rules[0]!.when as { eventType: number }).eventType = 4;
    }).toThrow(TypeError);
  });

  // A handful of spec objects reused across calls, as the receiver reuses the configuration's: the
  // per-spec memo (placeholders, window per 15-minute bucket) must never leak from one call to the next.
  const specs: JobSpec[] = [
    { kind: 'export', name: 'plain', source: { type: 'table', reportType: 1, order: '-count_plays' } } as JobSpec,
    { kind: 'export', name: 'days', scope: 'entry', window: { lastDays: 7, includeCurrent: true }, source: { type: 'table', reportType: 1, objectIds: '{object.id}' } } as JobSpec,
    { kind: 'check', name: 'hours', scope: 'partner', window: { lastHours: 6 }, reportType: 1, metric: 'count_plays', condition: { op: '<', value: 1 }, destinations: ['d'], message: '{window.fromDay}..{window.toDay} {subject.name}' } as JobSpec,
    { kind: 'export', name: 'subject', subject: '{object.categoryId}', scope: 'category', window: 'previous-week', source: { type: 'table', reportType: 1 } } as JobSpec,
  ];
  const origin = fc.record({
    spec: fc.nat({ max: specs.length - 1 }),
    at: fc.integer({ min: Date.UTC(2026, 2, 7), max: Date.UTC(2026, 2, 10) }).map((ms) => new Date(ms)),
    timezone: fc.constantFrom('America/New_York', 'Europe/London', 'Australia/Sydney', 'UTC'),
    defaultWindow: fc.constantFrom({ lastDays: 30 } as const, { lastDays: 1 } as const, 'previous-day' as const),
    defaultScope: fc.constantFrom('entry' as const, 'partner' as const),
    id: fc.oneof(fc.constantFrom('0_a', '0_b', ''), fc.integer(), fc.constant(undefined), fc.constant(null), fc.constant({})),
    name: fc.option(fc.constantFrom('Entry', 'é'), { nil: undefined }),
    categoryId: fc.option(fc.constantFrom(7, '8'), { nil: undefined }),
  });

  it('are what building everything afresh gives, for any sequence of calls: same message, or the same error', () => {
    fc.assert(
      fc.property(fc.array(origin, { minLength: 1, maxLength: 8 }), (calls) => {
        for (const c of calls) {
          const object: Record<string, unknown> = { ...(c.id !== undefined ? { id: c.id } : {}), ...(c.name ? { name: c.name } : {}), ...(c.categoryId !== undefined ? { categoryId: c.categoryId } : {}) };
          const o: JobOrigin = { rule: 'r', trigger: { type: 'notification', eventNotificationJobId: '1', receivedAt: c.at.toISOString() }, at: c.at, timezone: c.timezone, partnerId: 4242, defaultWindow: c.defaultWindow, defaultScope: c.defaultScope, notification: { object } };
          const attempt = <T>(f: () => T): T | Error => { try { return f(); } catch (e) { return e as Error; } };
          const expected = attempt(() => referenceJobMessage(specs[c.spec]!, o));
          const actual = attempt(() => createJobMessage(specs[c.spec]!, o));
          if (expected instanceof Error) expect(actual).toStrictEqual(expected);
          else {
            expect(actual).toStrictEqual(expected);
            expect(keyOrder(actual)).toStrictEqual(keyOrder(expected));
          }
        }
      }),
      { numRuns: 1500 },
    );
  });
});

/** Signature verification as it was: a case-insensitive scan for each header, the regex, a fresh hash per secret. */
function referenceVerify(headers: Headers, body: Uint8Array, secrets: ReadonlyArray<string>): ReturnType<typeof verifySignature> {
  const header = (name: string) => {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() !== name) continue;
      const v = headers[key];
      if (typeof v === 'string') return v;
      if (Array.isArray(v)) return (v as ReadonlyArray<string>)[0];
    }
    return undefined;
  };
  if (secrets.length === 0) return { ok: false, reason: 'no-secrets' };
  const rawAlgo = header('x-kaltura-hash-algo');
  const algo = rawAlgo === undefined ? 'sha1' : rawAlgo.trim().toLowerCase();
  if (algo !== 'sha1' && algo !== 'sha256' && algo !== 'sha512') return { ok: false, reason: 'unknown-algorithm' };
  const given = header('x-kaltura-signature')?.trim();
  if (!given) return { ok: false, reason: 'missing-signature' };
  if (given.length !== { sha1: 40, sha256: 64, sha512: 128 }[algo] || !/^[0-9a-fA-F]+$/.test(given)) return { ok: false, reason: 'malformed-signature' };
  const givenBytes = Buffer.from(given.toLowerCase(), 'hex');
  let matched = -1;
  for (let i = 0; i < secrets.length; i++) {
    if (timingSafeEqual(createHash(algo).update(secrets[i]!, 'utf8').update(body).digest(), givenBytes) && matched < 0) matched = i;
  }
  return matched >= 0 ? { ok: true, algo, secretIndex: matched } : { ok: false, reason: 'mismatch' };
}

describe('signature verification', () => {
  const secrets = ['current-secret', 'previous-secret', 'é-secret'];
  /** A signature: right, right but re-cased or with one character swapped (ASCII or not), wrong, or junk. */
  const case_ = fc.record({
    body: fc.uint8Array({ maxLength: 64 }),
    algo: fc.constantFrom('sha1', 'sha256', 'sha512', undefined, 'SHA256', ' sha512 ', 'md5'),
    secret: fc.nat({ max: 3 }),
    change: fc.constantFrom('none', 'upper', 'swap', 'junk'),
    at: fc.nat(),
    char: fc.oneof(fc.constantFrom('İ', 'ı', 'Ĺ', 'g', 'G', ' ', '0', 'a', 'F', '\u0130', '\u0161'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
    name: fc.constantFrom('x-kaltura-signature', 'X-KALTURA-SIGNATURE', 'X-Kaltura-Signature'),
  });

  it('decides exactly as before for any signature, including non-ASCII look-alikes of hex digits', () => {
    fc.assert(
      fc.property(case_, (c) => {
        const algo = c.algo === undefined ? 'sha1' : c.algo.trim().toLowerCase();
        const known = algo === 'sha1' || algo === 'sha256' || algo === 'sha512';
        let signature = createHash(known ? algo : 'sha1').update(c.secret < 3 ? secrets[c.secret]! : 'other', 'utf8').update(c.body).digest('hex');
        const i = c.at % signature.length;
        if (c.change === 'upper') signature = signature.toUpperCase();
        if (c.change === 'swap') signature = signature.slice(0, i) + c.char + signature.slice(i + 1);
        if (c.change === 'junk') signature = c.char.repeat(signature.length);
        const headers: Headers = { [c.name]: signature, ...(c.algo !== undefined ? { 'x-kaltura-hash-algo': c.algo } : {}) };
        expect(verifySignature(headers, c.body, secrets)).toStrictEqual(referenceVerify(headers, c.body, secrets));
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses a correct digest written with non-hex characters that decode to the same bytes', () => {
    // Prepare: 'İ' (U+0130) has the low byte 0x30 ('0'), so a lenient hex decoder reads it as '0'.
    const body = Buffer.from('{"eventNotificationJobId":1}');
    const digest = createHash('sha256').update('current-secret').update(body).digest('hex');
    const disguised = [...digest].map((d) => String.fromCharCode(0x100 + d.charCodeAt(0))).join('');
    // Act
    const check = verifySignature({ 'x-kaltura-signature': disguised, 'x-kaltura-hash-algo': 'sha256' }, body, secrets);
    // Assess
    expect(Buffer.from(disguised, 'hex').toString('hex')).toBe(digest);
    expect(check).toStrictEqual({ ok: false, reason: 'malformed-signature' });
  });
});

/** Key order too, recursively: toStrictEqual does not compare it. */
function keyOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(keyOrder);
  if (value && typeof value === 'object') return Object.keys(value).map((k) => [k, keyOrder((value as Record<string, unknown>)[k])]);
  return value;
}

describe('notification parsing fast path', () => {
  const anyValue = fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 6 }), fc.constantFrom(' 3', '3 ', '3', '-0', '0', '12345678901', 'virtualEventEventNotifications.VirtualEvent', '', ' ', 'a b', 'x'.repeat(65)), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.constant(-0), fc.constant(2 ** 60), fc.array(fc.integer(), { maxLength: 2 }));
  const entryObject = fc.oneof(
    fc.dictionary(fc.oneof(fc.constantFrom('id', 'name', 'status', 'partnerId', '0', '10', 'constructor', '__proto__', 'objectType'), fc.string({ maxLength: 4 })), fc.oneof(anyValue, fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 })), { maxKeys: 6 }),
    anyValue,
  );
  const field = (valid: fc.Arbitrary<unknown>) => fc.option(fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: anyValue }), { nil: undefined, freq: 4 });
  const notification = fc
    .record(
      {
        object: field(entryObject),
        eventObjectType: field(fc.oneof(fc.integer({ min: 0, max: 50 }), fc.constantFrom('1', '38', 'scheduleEventNotifications.ScheduleEvent'))),
        eventNotificationJobId: field(fc.oneof(fc.nat(), fc.constantFrom('33578094492', 'job-1.2_3'))),
        templateId: field(fc.oneof(fc.nat(), fc.constantFrom('26970222'))),
        templateName: field(fc.string({ maxLength: 5 })),
        templateSystemName: field(fc.string({ maxLength: 5 })),
        eventType: field(fc.oneof(fc.integer({ min: 1, max: 13 }), fc.constantFrom('3', '-1'))),
        objectType: field(fc.constant('KalturaHttpNotification')),
        extra: field(anyValue),
        '7': field(anyValue),
        constructor: fc.option(anyValue, { nil: undefined, freq: 10 }),
      },
      { requiredKeys: [] },
    )
    .chain((n) => fc.constantFrom(n, JSON.parse(JSON.stringify(n) ?? 'null') as unknown, JSON.parse(JSON.stringify(n).replace('"extra"', '"__proto__"')) as unknown));

  it('gives what the zod schema gives for any input: same success, same values in the same key order, same issues', () => {
    fc.assert(
      fc.property(notification, (input) => {
        const expected = KalturaHttpNotificationSchema.safeParse(input);
        const actual = parseKalturaHttpNotification(input);
        expect(actual.success).toBe(expected.success);
        if (actual.success && expected.success) {
          // Not toStrictEqual: it compares `a.constructor === b.constructor`, which an own `constructor: NaN` never passes.
          expect(isDeepStrictEqual(actual.data, expected.data)).toBe(true);
          expect(keyOrder(actual.data)).toStrictEqual(keyOrder(expected.data));
        } else {
          expect(actual.error?.issues).toStrictEqual(expected.error?.issues);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('takes the fast path for a typical Kaltura JSON notification (numbers, strings, a nested object)', () => {
    const input = JSON.parse('{"object":{"id":"0_abc","name":"Entr\\u00e9e","status":2,"partnerId":4242,"tags":"a,b","flavorParamsIds":"0,1","operationAttributes":[],"objectType":"KalturaMediaEntry"},"eventObjectType":1,"eventNotificationJobId":33578094492,"templateId":26970222,"templateName":"Entry Status Equals","templateSystemName":"HTTP_ENTRY_STATUS_EQUALS","eventType":3,"objectType":"KalturaHttpNotification"}') as unknown;
    const parsed = parseKalturaHttpNotification(input);
    expect(parsed).toStrictEqual({ success: true, data: KalturaHttpNotificationSchema.parse(input) });
    expect(parsed.data?.eventNotificationJobId).toBe('33578094492');
  });
});

describe('archive document', () => {
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: fc.constantFrom('"', '\\', '/', 'a', '\u0000', '\n', '\u001f', '\u007f', '\u2028', '\ud800', '\udc00', '\ufeff', 'é'), maxLength: 40 }),
    fc.array(fc.constantFrom('{"a":"b\\/c"}', '\\u00e9', '"', '\\', 'x'.repeat(50)), { maxLength: 20 }).map((p) => p.join('')),
  );

  it('writes any string as JSON.stringify does', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(jsonStringLiteral(t)).toBe(JSON.stringify(t));
      }),
      { numRuns: 5000 },
    );
  });

  it('writes a non-JSON body (legacy, XML, BOM, whitespace) as version 1: JSON.stringify of the envelope and the body', () => {
    fc.assert(
      fc.property(text, fc.option(text, { nil: undefined }), text, fc.constantFrom('json', 'legacy-form', 'xml'), fc.option(fc.nat(), { nil: undefined }), (body, contentType, jobId, bodyFormat, partnerId) => {
        fc.pre(bodyFormat !== 'json' || !(body.startsWith('{') && body.endsWith('}')));
        const envelope = { eventNotificationJobId: jobId, receivedAt: '2026-11-27T08:00:00.000Z', ...(contentType !== undefined ? { contentType } : {}), hashAlgo: 'sha256', bodyFormat, ...(partnerId !== undefined ? { partnerId } : {}) };
        const document = archiveDocument(envelope, Buffer.from(body, 'utf8'), body);
        expect(document).toBe(JSON.stringify({ version: 1, ...envelope, body }));
      }),
      { numRuns: 2000 },
    );
  });

  /** JSON objects as PHP json_encode writes them (\/ and \u escapes) or as JSON.stringify does, with odd keys and text. */
  const notificationText = fc
    .tuple(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }), fc.boolean())
    .map(([value, php]) => {
      const json = JSON.stringify(value);
      return php ? json.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')).replace(/\//g, '\\/') : json;
    });

  it('embeds a JSON object body byte for byte as version 2, and reading the document gives the same notification', () => {
    fc.assert(
      fc.property(notificationText, fc.string({ maxLength: 12 }), (body, jobId) => {
        // Prepare
        const bytes = Buffer.from(body, 'utf8');
        const envelope = { eventNotificationJobId: jobId, receivedAt: '2026-11-27T08:00:00.000Z', contentType: 'application/json', hashAlgo: 'sha1', bodyFormat: 'json', partnerId: 4242 };
        // Act
        const document = Buffer.from(archiveDocument(envelope, bytes, body));
        // Assess
        expect(document.includes(bytes)).toBe(true);
        const doc = ArchivedNotificationSchema.parse(JSON.parse(document.toString('utf8')));
        expect(doc).toStrictEqual({ version: 2, ...envelope, notification: JSON.parse(body) });
      }),
      { numRuns: 2000 },
    );
  });
});

/** What CloudWatch extracts from EMF lines: one datum per (directive metric), with that directive's dimensions. */
function extractMetrics(lines: ReadonlyArray<string>): Array<{ name: string; value: unknown; unit: string; dimensions: Record<string, unknown> }> {
  const out: Array<{ name: string; value: unknown; unit: string; dimensions: Record<string, unknown> }> = [];
  for (const line of lines) {
    const doc = JSON.parse(line) as { _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> } } & Record<string, unknown>;
    for (const d of doc._aws.CloudWatchMetrics) for (const m of d.Metrics) out.push({ name: m.Name, value: doc[m.Name], unit: m.Unit, dimensions: Object.fromEntries(d.Dimensions[0]!.map((k) => [k, doc[k]])) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The EMF line as it was written: JSON.stringify of the whole document. */
function referenceEmf(service: string, entries: ReadonlyArray<MetricEntry>): string {
  const dimensions = Object.assign({}, ...entries.map((e) => e.dimensions ?? {})) as Record<string, string>;
  const values = Object.fromEntries(entries.map((e) => [e.name, e.value]));
  return JSON.stringify({
    _aws: { Timestamp: 0, CloudWatchMetrics: entries.map((e) => ({ Namespace: 'KalturaReporting', Dimensions: [['service', ...Object.keys(e.dimensions ?? {})]], Metrics: [{ Name: e.name, Unit: e.unit ?? 'Count' }] })) },
    service,
    ...dimensions,
    ...values,
  });
}

describe('metric lines', () => {
  const word = fc.oneof(fc.constantFrom('Notifications', 'JobsQueued', 'outcome', 'kind', 'a:1', '1:a', '|', 'é', '"', ''), fc.string({ maxLength: 5 }));
  const entry = fc.record({ name: word, value: fc.oneof(fc.integer(), fc.double({ noNaN: true })), dimensions: fc.option(fc.dictionary(word, word, { maxKeys: 2 }), { nil: undefined }), unit: fc.option(fc.constantFrom('Count' as const, 'Milliseconds' as const, 'Bytes' as const), { nil: undefined }) });

  it('are JSON.stringify of the document, whatever the names, and a cached shape is never reused for another', () => {
    fc.assert(
      fc.property(fc.array(fc.array(entry, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 5 }), (calls) => {
        for (const entries of calls) {
          const lines: string[] = [];
          emitMetrics(createLogger({ service: 'svc', write: (l) => lines.push(l) }), entries);
          const written = lines.map((l) => l.replace(/^\{"_aws":\{"Timestamp":\d+,/, '{"_aws":{"Timestamp":0,'));
          // One line when nothing clashes (then it must be the whole document), else one per entry.
          const expected = written.length === 1 ? [referenceEmf('svc', entries)] : entries.map((e) => referenceEmf('svc', [e]));
          expect(written.map((l) => JSON.parse(l) as unknown)).toStrictEqual(expected.map((l) => JSON.parse(l) as unknown));
          // Same bytes too, except that JSON.stringify puts integer-like names ("0") before "_aws", and the cached line keeps "_aws" first.
          const integerLike = entries.some((e) => /^(0|[1-9]\d*)$/.test(e.name) || Object.keys(e.dimensions ?? {}).some((k) => /^(0|[1-9]\d*)$/.test(k)));
          if (!integerLike) expect(written).toStrictEqual(expected);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('several metrics in one line', () => {
  it('give CloudWatch the same metrics as one line each, in one line when names and dimensions allow', () => {
    const cases: ReadonlyArray<ReadonlyArray<MetricEntry>> = [
      [{ name: 'JobsQueued', value: 2 }, { name: 'Notifications', value: 1, dimensions: { outcome: 'accepted' } }],
      [{ name: 'JobsUnresolved', value: 1 }, { name: 'JobsQueued', value: 3 }, { name: 'Notifications', value: 1, dimensions: { outcome: 'unmatched' } }],
      [{ name: 'A', value: 1, dimensions: { kind: 'x' } }, { name: 'B', value: 2, dimensions: { kind: 'y' } }], // clash: kind x / y
      [{ name: 'A', value: 1, dimensions: { B: 'x' } }, { name: 'B', value: 2 }], // clash: a metric named like a dimension
      [{ name: 'Ms', value: 5, unit: 'Milliseconds' }],
    ];
    for (const entries of cases) {
      const one: string[] = [];
      const each: string[] = [];
      emitMetrics(createLogger({ service: 'svc', write: (l) => one.push(l) }), entries);
      for (const e of entries) createLogger({ service: 'svc', write: (l) => each.push(l) }).metric(e.name, e.value, e.dimensions, e.unit);
      expect(extractMetrics(one)).toStrictEqual(extractMetrics(each));
      const clash = entries.length === 2 && (entries[1]!.name === 'B');
      expect(one).toHaveLength(clash ? entries.length : 1);
    }
  });
});
