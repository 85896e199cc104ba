import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { hashAlgorithmOf, signNotification, verifySignature } from '../../shared/webhook/signature.js';
import { parseNotificationBody } from '../../shared/webhook/notification-body.js';
import { KalturaHttpNotificationSchema } from '../../shared/webhook/notification-schema.js';
import { isEntryLike, jobsForNotification, ruleMatches, scalarEquals } from '../../shared/webhook/rule-matching.js';
import { computeWindow } from '../../shared/jobs/window.js';
import { notificationJson, testConfig } from './helpers.js';

const parse = (value: unknown) => KalturaHttpNotificationSchema.parse(value);

describe('signature', () => {
  it('is hex(hash(secret + body)), plain concatenation and not an HMAC', () => {
    // Prepare
    const body = Buffer.from('{"a":1}');
    // Act
    const sig = signNotification('s3cr3t', body, 'sha256');
    // Assess
    expect(sig).toBe(createHash('sha256').update('s3cr3t{"a":1}').digest('hex'));
  });

  it('defaults to sha1 without the algorithm header and refuses algorithms Kaltura never sends', () => {
    expect(hashAlgorithmOf({})).toBe('sha1');
    expect(hashAlgorithmOf({ 'X-Kaltura-Hash-Algo': ' SHA512 ' })).toBe('sha512');
    expect(hashAlgorithmOf({ 'x-kaltura-hash-algo': 'md5' })).toBeUndefined();
    expect(verifySignature({ 'x-kaltura-hash-algo': 'md5', 'x-kaltura-signature': 'ab' }, Buffer.from('x'), ['s']).ok).toBe(false);
  });

  it('tells which secret matched, for rotation logs', () => {
    // Prepare
    const body = Buffer.from('payload');
    // Act
    const check = verifySignature({ 'x-kaltura-signature': signNotification('old', body) }, body, ['new', 'old']);
    // Assess
    expect(check).toEqual({ ok: true, algo: 'sha1', secretIndex: 1 });
  });
});

describe('notification bodies', () => {
  it('reads PHP urlencode (+ for spaces) in the legacy form', () => {
    // Prepare
    const json = JSON.stringify(notificationJson({ object: { name: 'a b&c' } }));
    const body = 'data=' + encodeURIComponent(json).replace(/%20/g, '+');
    // Act
    const parsed = parseNotificationBody(Buffer.from(body));
    // Assess
    expect(parsed).toMatchObject({ ok: true, format: 'legacy-form' });
    expect(parse((parsed as { value: unknown }).value).object?.name).toBe('a b&c');
  });

  it('reads XML with item lists, CDATA, numeric entities and an XML declaration', () => {
    // Prepare
    const xml = '<?xml version="1.0" encoding="utf-8"?><notification><object><id>0_x</id><name><![CDATA[R&D <live>]]></name><tags>&#233;t&#xE9;</tags>' +
      '<operationAttributes><item><objectType>KalturaClipAttributes</objectType></item></operationAttributes></object>' +
      '<eventObjectType>virtualEventEventNotifications.VirtualEvent</eventObjectType><eventNotificationJobId>7</eventNotificationJobId><eventType>2</eventType></notification>';
    // Act
    const parsed = parseNotificationBody(Buffer.from(`data=${xml}`));
    // Assess
    expect(parsed.ok).toBe(true);
    const n = parse((parsed as { value: unknown }).value);
    expect(n).toMatchObject({ eventType: 2, eventObjectType: 'virtualEventEventNotifications.VirtualEvent', eventNotificationJobId: '7' });
    expect(n.object).toEqual({ id: '0_x', name: 'R&D <live>', tags: 'été', operationAttributes: [{ objectType: 'KalturaClipAttributes' }] });
  });

  it('rejects malformed XML, non-UTF-8 bytes and JSON arrays without echoing them', () => {
    for (const body of [Buffer.from('data=<notification><a></b></notification>'), Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), Buffer.from('[{"a":1}]')]) {
      const parsed = parseNotificationBody(body);
      expect(parsed.ok).toBe(false);
      expect((parsed as { reason: string }).reason).not.toContain('"a"');
    }
  });

  it('normalises enums sent as numeric strings and keeps unknown fields', () => {
    // Act
    const n = parse({ ...notificationJson({ eventType: '3', eventObjectType: '38', jobId: '33578094492' }), futureField: { x: 1 } });
    // Assess
    expect(n).toMatchObject({ eventType: 3, eventObjectType: 38, eventNotificationJobId: '33578094492', futureField: { x: 1 } });
  });
});

describe('rule matching', () => {
  it('matches event types by number or name and object types by number, name or plugin string', () => {
    const entry = parse(notificationJson({ eventType: 3, eventObjectType: 1 }));
    const virtualEvent = parse(notificationJson({ eventType: '2', eventObjectType: 'virtualEventEventNotifications.VirtualEvent' }));
    expect(ruleMatches({ eventType: 'OBJECT_CHANGED', eventObjectType: 'ENTRY' }, entry)).toBe(true);
    expect(ruleMatches({ eventType: [2, 3], eventObjectType: 1 }, entry)).toBe(true);
    expect(ruleMatches({ eventType: '3' }, entry)).toBe(true);
    expect(ruleMatches({ eventType: 'OBJECT_ADDED' }, entry)).toBe(false);
    expect(ruleMatches({ eventObjectType: 'LIVE_STREAM' }, entry)).toBe(false);
    expect(ruleMatches({ eventObjectType: 'virtualEventEventNotifications.VirtualEvent', eventType: 'OBJECT_ADDED' }, virtualEvent)).toBe(true);
    expect(ruleMatches({ eventObjectType: 'virtualEventEventNotifications.*' }, virtualEvent)).toBe(true);
    expect(ruleMatches({ eventObjectType: 'ENTRY' }, virtualEvent)).toBe(false);
  });

  it('compares object fields with numeric-string tolerance, by dot path, any-of for arrays', () => {
    const n = parse(notificationJson({ status: '2', object: { adminTags: 'webinar', meta: { level: 3 }, isLive: true } }));
    expect(ruleMatches({ object: { status: 2 } }, n)).toBe(true);
    expect(ruleMatches({ object: { status: [1, 7] } }, n)).toBe(false);
    expect(ruleMatches({ object: { 'meta.level': '3' } }, n)).toBe(true);
    expect(ruleMatches({ object: { adminTags: 'webinar', isLive: true } }, n)).toBe(true);
    expect(ruleMatches({ object: { missing: '' } }, n)).toBe(false);
    expect(scalarEquals(2, '2.0')).toBe(true);
    expect(scalarEquals('abc', 'abc ')).toBe(false);
    expect(scalarEquals(true, '1')).toBe(true);
  });

  it('gives entry-like objects entry scope and others partner scope by default, with a 30-day window', () => {
    // Prepare
    const entry = parse(notificationJson({ templateSystemName: 'CATEGORY_TAGGED', status: 7, object: { categoryId: 12 } }));
    const user = parse({ ...notificationJson({ templateSystemName: 'CATEGORY_TAGGED', eventObjectType: 8 }), object: { id: 'jane', objectType: 'KalturaUser', partnerId: 99 } });
    // Act
    const fromEntry = jobsForNotification(entry, { config: testConfig(), partnerId: 4242, receivedAt: new Date('2026-11-20T12:00:00Z') });
    const fromUser = jobsForNotification(user, { config: testConfig(), partnerId: 4242, receivedAt: new Date('2026-11-20T12:00:00Z') });
    // Assess
    expect(isEntryLike(entry)).toBe(true);
    expect(isEntryLike(user)).toBe(false);
    expect(fromEntry.messages.map((m) => m.subject)).toEqual([
      { scope: 'category', id: '12' },
      { scope: 'entry', id: '0_abc123', name: 'Entry' },
    ]);
    expect(fromUser.messages.map((m) => m.subject)).toEqual([{ scope: 'partner', id: '99' }]);
    expect(fromUser.messages[0]!.window).toEqual(computeWindow({ lastDays: 30 }, new Date('2026-11-20T12:00:00Z'), 'America/New_York'));
  });
});
