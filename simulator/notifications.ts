/**
 * HTTP event notifications exactly as Kaltura's batch worker sends them (WIRE_FACTS §6):
 * PHP-encoded JSON `KalturaHttpNotification` (nulls omitted, `objectType` last), optional legacy
 * `data=` + urlencode(JSON) body, `X-KALTURA-SIGNATURE = hex(hash(secret + body))` (not an HMAC).
 */
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { entryNameFor } from './synthetic.js';
import type { NotificationOptions } from './types.js';
import { phpJson, phpUrlencode } from './util.js';

export const KALTURA_USER_AGENT = 'Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US; rv:1.9.0.6) Gecko/2009011913 Firefox/3.0.6';

let jobCounter = 33578094000 + Math.floor(Math.random() * 1000) * 1000;

/** Template id for well-known system names (same ids as eventNotificationTemplate.list). */
const TEMPLATE_IDS: Record<string, number> = {
  HTTP_ENTRY_STATUS_EQUALS: 101,
  HTTP_ENTRY_STATUS_CHANGED: 102,
  HTTP_ENTRY_CHANGED: 103,
  HTTP_ENTRY_ADDED_TO_CATEGORY: 104,
  EXPLICIT_LIVE_PUSH_NOTIFICATIONS: 110,
};

export function buildNotification(partnerId: number, adminSecret: string, options: NotificationOptions): { body: Buffer; headers: Record<string, string> } {
  const eventObjectType = options.eventObjectType ?? 1;
  const isLive = eventObjectType === 38 || eventObjectType === '38';
  const now = Math.floor(Date.now() / 1000);
  const object: Record<string, unknown> = {
    id: options.entryId,
    name: options.entryName ?? entryNameFor(options.entryId),
    partnerId,
    userId: 'admin@example.com',
    creatorId: 'admin@example.com',
    status: options.status ?? 2,
    moderationStatus: 6,
    type: isLive ? 7 : 1,
    createdAt: now - 3600,
    updatedAt: now,
    rank: 0,
    totalRank: 0,
    votes: 0,
    downloadUrl: `https://cdnapisec.kaltura.com/p/${partnerId}/sp/${partnerId}00/playManifest/entryId/${options.entryId}/format/download/protocol/https/flavorParamIds/0`,
    thumbnailUrl: `https://cfvod.kaltura.com/p/${partnerId}/sp/${partnerId}00/thumbnail/entry_id/${options.entryId}/version/100002`,
    accessControlId: 1,
    partnerSortValue: 0,
    replacementStatus: 0,
    operationAttributes: [],
    entitledUsersEdit: '',
    capabilities: '',
    displayInSearch: 1,
    ...(isLive ? { mediaType: 201, sourceType: '32', streamStatus: 1 } : { mediaType: 1, duration: 120, msDuration: 120000, plays: 0, views: 0 }),
    ...(options.object ?? {}),
  };
  delete object.objectType;
  object.objectType = options.objectType ?? (isLive ? 'KalturaLiveStreamEntry' : 'KalturaMediaEntry');
  const systemName = options.templateSystemName ?? 'HTTP_ENTRY_STATUS_EQUALS';
  const notification: Record<string, unknown> = {
    object,
    eventObjectType,
    eventNotificationJobId: options.eventNotificationJobId ?? ++jobCounter,
    templateId: TEMPLATE_IDS[systemName] ?? 26970222,
    templateName: systemName === 'HTTP_ENTRY_STATUS_EQUALS' ? 'Entry Status Equals' : systemName,
    templateSystemName: systemName,
    eventType: options.eventType ?? 3,
    objectType: 'KalturaHttpNotification',
  };
  const json = phpJson(notification);
  const text = options.legacy ? `data=${phpUrlencode(json)}` : json;
  const body = Buffer.from(text, 'utf8');
  const algo = options.algo ?? 'sha256';
  const signature = createHash(algo)
    .update(Buffer.concat([Buffer.from(options.secret ?? adminSecret, 'utf8'), body]))
    .digest('hex');
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': KALTURA_USER_AGENT,
    'X-KALTURA-SIGNATURE': signature,
  };
  if (!options.omitAlgoHeader) headers['X-KALTURA-HASH-ALGO'] = algo;
  return { body, headers };
}

/** POSTs a built notification once (no retries); resolves with the status and body. */
export function postNotification(url: string, built: { body: Buffer; headers: Record<string, string> }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method: 'POST', headers: { ...built.headers, 'Content-Length': String(built.body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(180_000, () => req.destroy(new Error('notification timed out after 180 s')));
    req.on('error', reject);
    req.end(built.body);
  });
}
