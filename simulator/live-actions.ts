/** baseEntry.get, beacon_beacon.list (§8.1) and liveReports.getEvents (§8.2). */
import { createHash } from 'node:crypto';
import type { ActionDef, CallContext } from './context.js';
import { apiError, invalidEnum, missingParam } from './errors.js';
import { entryNameFor, isQuiet, isUnhealthy } from './synthetic.js';
import { hash32, int, intIn, isRecord, mix, nowSeconds, str } from './util.js';

export function entryObject(ctx: CallContext, entryId: string): Record<string, unknown> {
  const live = entryId.includes('live') || isUnhealthy(entryId);
  const h = hash32(entryId);
  const createdAt = 1672531200 + (h % 94608000);
  const pid = ctx.state.config.partnerId;
  return {
    id: entryId,
    name: entryNameFor(entryId),
    description: 'Synthetic entry served by the kaltura-reporting simulator',
    partnerId: pid,
    userId: 'admin@example.com',
    creatorId: 'admin@example.com',
    tags: 'simulator, synthetic',
    categories: '',
    status: 2,
    moderationStatus: 6,
    type: live ? 7 : 1,
    createdAt,
    updatedAt: createdAt + 3600,
    thumbnailUrl: `https://cfvod.kaltura.com/p/${pid}/sp/${pid}00/thumbnail/entry_id/${entryId}/version/100002`,
    ...(live ? { mediaType: 201, sourceType: '32' } : { mediaType: 1, duration: 30 + (h % 7200), msDuration: (30 + (h % 7200)) * 1000, plays: isQuiet(entryId) ? 0 : h % 5000, views: isQuiet(entryId) ? 0 : h % 9000 }),
    objectType: live ? 'KalturaLiveStreamEntry' : 'KalturaMediaEntry',
  };
}

const baseEntryGet: ActionDef = {
  widgetAllowed: true,
  handler: (ctx) => {
    const entryId = str(ctx.params.entryId);
    if (entryId === undefined || entryId === '') throw missingParam('entryId');
    if (entryId.includes('missing')) throw apiError('ENTRY_ID_NOT_FOUND', { ENTRY_ID: entryId });
    return entryObject(ctx, entryId);
  },
};

const RELATED_TYPES = ['1', '2', '3', '4'];

interface Beacon {
  id: string;
  indexType: string;
  updatedAt: number;
  relatedObjectType: string;
  eventType: string;
  objectId: string;
  privateData: string;
  rawData: string;
  objectType: 'KalturaBeacon';
}

function beaconsFor(entryId: string, relatedType: string, now: number, index: 'Log' | 'State' | undefined): Beacon[] {
  const out: Beacon[] = [];
  const bucket = Math.floor(now / 10) * 10;
  const unhealthy = isUnhealthy(entryId);
  const seed = hash32(`beacon:${entryId}`);
  if (index !== 'State') {
    for (const stream of [0, 1]) {
      const eventType = `${stream}_healthData`;
      const severity = unhealthy && stream === 0 ? 4 : mix(seed, stream) % 2;
      const alerts =
        severity === 4
          ? [
              { Arguments: { bitrate: 120, expectedBitrate: 2500 }, Time: bucket * 1000 - 4000, Code: 104 },
              { Arguments: { fps: 3 }, Time: bucket * 1000 - 2000, Code: 110 },
            ]
          : severity === 1
            ? [{ Arguments: { keyFrameInterval: 4 }, Time: bucket * 1000 - 5000, Code: 113 }]
            : [];
      out.push({
        id: createHash('md5').update(`${relatedType}_${eventType}_${entryId}_${bucket}`).digest('hex').slice(0, 20),
        indexType: 'entry_beacon',
        updatedAt: bucket - stream,
        relatedObjectType: relatedType,
        eventType,
        objectId: entryId,
        privateData: JSON.stringify({ alerts, maxSeverity: severity }),
        rawData: JSON.stringify({ serverNode: `sim-media-${stream}`, partnerId: 'sim' }),
        objectType: 'KalturaBeacon',
      });
    }
  }
  if (index !== 'Log') {
    for (const stream of [0, 1]) {
      for (const kind of ['staticData', 'dynamicData']) {
        const eventType = `${stream}_${kind}`;
        const privateData =
          kind === 'staticData'
            ? { inputs: [{ index: 0, bitrate: 2500, resolution: '1280x720', codec: 'h264' }] }
            : { inputs: [{ index: 0, bitrate: unhealthy && stream === 0 ? 120 : intIn(seed, stream, 2200, 2600), ptsData: [] }], flavors: [{ name: 'source', runStatus: 'Running', lastM3U8Time: bucket * 1000 }] };
        out.push({
          id: createHash('md5').update(`${relatedType}_${eventType}_${entryId}`).digest('hex'),
          indexType: 'entry_beacon',
          updatedAt: bucket - 2,
          relatedObjectType: relatedType,
          eventType,
          objectId: entryId,
          privateData: JSON.stringify(privateData),
          rawData: '',
          objectType: 'KalturaBeacon',
        });
      }
    }
  }
  return out;
}

const beaconList: ActionDef = {
  handler: (ctx) => {
    const filter = isRecord(ctx.params.filter) ? ctx.params.filter : {};
    const relIn = str(filter.relatedObjectTypeIn) ?? '';
    const relEq = str(filter.relatedObjectTypeEqual) ?? '';
    const related = [...relIn.split(','), relEq].map((s) => s.trim()).filter((s) => s !== '');
    if (related.length === 0) throw apiError('MISSING MANDATORY PARAMETER RELATED OBJECT TYPE');
    for (const r of related) if (!RELATED_TYPES.includes(r)) throw invalidEnum(r, 'relatedObjectTypeIn', 'KalturaBeaconObjectTypes');
    const indexRaw = str(filter.indexTypeEqual);
    if (indexRaw !== undefined && indexRaw !== '' && indexRaw !== 'Log' && indexRaw !== 'State') throw invalidEnum(indexRaw, 'indexTypeEqual', 'KalturaBeaconIndexType');
    const index = indexRaw === 'Log' || indexRaw === 'State' ? indexRaw : undefined;
    const ids = (str(filter.objectIdIn) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const eventTypes = (str(filter.eventTypeIn) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const since = int(filter.updatedAtGreaterThanOrEqual);
    const until = int(filter.updatedAtLessThanOrEqual);
    const now = nowSeconds();
    let beacons: Beacon[] = [];
    if (related.includes('4')) for (const id of ids) beacons.push(...beaconsFor(id, '4', now, index));
    beacons = beacons.filter((b) => (eventTypes.length === 0 || eventTypes.includes(b.eventType)) && (since === undefined || b.updatedAt >= since) && (until === undefined || b.updatedAt <= until));
    const orderBy = str(filter.orderBy) ?? '-updatedAt';
    const dir = orderBy.startsWith('+') ? 1 : -1;
    const key = orderBy.replace(/^[+-]/, '');
    beacons.sort((a, b) => (key === 'objectId' ? a.objectId.localeCompare(b.objectId) : a.updatedAt - b.updatedAt) * dir);
    const pager = isRecord(ctx.params.pager) ? ctx.params.pager : {};
    const pageSize = Math.max(1, int(pager.pageSize) ?? 30);
    const pageIndex = Math.max(1, int(pager.pageIndex) ?? 1);
    return { objects: beacons.slice((pageIndex - 1) * pageSize, pageIndex * pageSize), totalCount: beacons.length, objectType: 'KalturaBeaconListResponse' };
  },
};

const LIVE_REPORT_TYPES = ['ENTRY_GEO_TIME_LINE', 'ENTRY_SYNDICATION_TOTAL', 'ENTRY_TIME_LINE', 'ENTRY_TOTAL', 'PARTNER_TOTAL'];

const liveGetEvents: ActionDef = {
  handler: (ctx) => {
    const reportType = str(ctx.params.reportType);
    if (reportType === undefined || reportType === '') throw missingParam('reportType');
    if (!LIVE_REPORT_TYPES.includes(reportType)) throw invalidEnum(reportType, 'reportType', 'KalturaLiveReportType');
    if (reportType !== 'ENTRY_TIME_LINE') throw apiError('ANALYTICS_UNSUPPORTED_QUERY');
    const filter = isRecord(ctx.params.filter) ? ctx.params.filter : {};
    const entryIds = (str(filter.entryIds) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const now = nowSeconds();
    const to = int(filter.toTime) ?? now;
    const from = int(filter.fromTime) ?? to - 120;
    const active = entryIds.filter((id) => !isQuiet(id));
    let data = '';
    if (active.length > 0) {
      const seed = hash32(active.join(','));
      let points = 0;
      for (let t = Math.ceil(from / 10) * 10; t <= to && points < 8640; t += 10, points++) {
        const s = mix(seed, t);
        if (s % 50 === 0) continue; // an empty bucket now and then (skipped, as Druid does)
        const base = 20 + (seed % 400);
        const audience = Math.max(1, base + (s % 21) - 10);
        data += `${t},${audience},${s % Math.max(1, Math.floor(audience / 5))};`;
      }
    }
    return [{ id: 'audience', data, objectType: 'KalturaReportGraph' }];
  },
};

export const liveActions: Record<string, ActionDef> = {
  'baseentry.get': baseEntryGet,
  'media.get': baseEntryGet,
  'beacon_beacon.list': beaconList,
  'livereports.getevents': liveGetEvents,
};
