/**
 * Live stream health from beacon.list (WIRE_FACTS §8.1): `filter[objectType]=KalturaBeaconFilter`,
 * `relatedObjectTypeIn=4` (entry), `indexTypeEqual=Log` (capitalised; the enum is case-sensitive),
 * `eventTypeIn=0_healthData,1_healthData`. Severity lives in `privateData`, a JSON *string*:
 * `{"alerts":[{"Code":…,"Time":…,"Arguments":{…}}],"maxSeverity":0-4}`.
 */
import { z } from '../validation/zod.js';
import type { BeaconHealth } from './kaltura-api.js';
import { KalturaResponseError } from './errors.js';

export const BEACON_SERVICE = 'beacon_beacon';

export function healthBeaconParams(request: { entryIds: ReadonlyArray<string>; since?: number; pageSize?: number }): Record<string, unknown> {
  return {
    filter: {
      objectType: 'KalturaBeaconFilter',
      relatedObjectTypeIn: '4',
      indexTypeEqual: 'Log',
      eventTypeIn: '0_healthData,1_healthData',
      objectIdIn: request.entryIds.join(','),
      ...(request.since !== undefined ? { updatedAtGreaterThanOrEqual: request.since } : {}),
      orderBy: '-updatedAt',
    },
    pager: { objectType: 'KalturaFilterPager', pageSize: request.pageSize ?? 500, pageIndex: 1 },
  };
}

const BeaconWire = z.object({
  objectId: z.optional(z.nullable(z.string())),
  eventType: z.optional(z.nullable(z.string())),
  updatedAt: z.optional(z.nullable(z.union([z.number(), z.string()]))),
  privateData: z.optional(z.nullable(z.union([z.string(), z.record(z.string(), z.unknown())]))),
});
const BeaconListWire = z.object({ objects: z.optional(z.nullable(z.array(BeaconWire))), totalCount: z.optional(z.nullable(z.number())) });

const PrivateData = z.object({
  maxSeverity: z.optional(z.nullable(z.union([z.number(), z.string()]))),
  alerts: z.optional(z.nullable(z.array(z.object({ Code: z.optional(z.union([z.number(), z.string()])), Time: z.optional(z.union([z.number(), z.string()])), Arguments: z.optional(z.unknown()) })))),
});

function num(value: unknown): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : undefined;
}

export function parseHealthBeacons(value: unknown): BeaconHealth[] {
  const parsed = BeaconListWire.safeParse(value);
  if (!parsed.success) throw new KalturaResponseError('Kaltura beacon.list answer has an unexpected shape.');
  const out: BeaconHealth[] = [];
  for (const beacon of parsed.data.objects ?? []) {
    const eventType = beacon.eventType ?? '';
    let data: z.infer<typeof PrivateData> = {};
    const raw = beacon.privateData;
    if (raw !== null && raw !== undefined) {
      let obj: unknown = raw;
      if (typeof raw === 'string') {
        try {
          obj = JSON.parse(raw);
        } catch {
          obj = {};
        }
      }
      const pd = PrivateData.safeParse(obj);
      if (pd.success) data = pd.data;
    }
    out.push({
      objectId: beacon.objectId ?? '',
      stream: eventType.startsWith('1_') ? 'backup' : 'primary',
      eventType,
      updatedAt: num(beacon.updatedAt) ?? 0,
      maxSeverity: num(data.maxSeverity),
      alerts: (data.alerts ?? []).map((a) => ({
        code: num(a.Code) ?? 0,
        ...(num(a.Time) !== undefined ? { time: num(a.Time) } : {}),
        ...(a.Arguments !== undefined ? { arguments: a.Arguments } : {}),
      })),
    });
  }
  return out;
}
