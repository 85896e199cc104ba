/**
 * Concurrent viewers from liveReports.getEvents ENTRY_TIME_LINE (WIRE_FACTS §8.2): an array with one
 * KalturaReportGraph `{"id":"audience","data":"<unix>,<audience>,<dvrAudience>;…"}` (10-second
 * buckets, empty buckets skipped, `"data":""` when nothing). The delimiter here is always `,`.
 */
import type { LiveAudiencePoint } from './kaltura-api.js';
import { parseGraphs } from './report-parsing.js';

export const LIVE_REPORTS_SERVICE = 'livereports';

export function liveEventsParams(request: { entryId: string; fromTime: number; toTime: number }): Record<string, unknown> {
  return {
    reportType: 'ENTRY_TIME_LINE',
    filter: { objectType: 'KalturaLiveReportInputFilter', entryIds: request.entryId, fromTime: request.fromTime, toTime: request.toTime },
    pager: { objectType: 'KalturaFilterPager', pageSize: 1000, pageIndex: 1 },
  };
}

export function parseLiveAudience(value: unknown): LiveAudiencePoint[] {
  const graphs = parseGraphs(value, ',');
  const graph = graphs.find((g) => g.id === 'audience') ?? graphs[0];
  if (!graph) return [];
  const out: LiveAudiencePoint[] = [];
  for (const p of graph.points) {
    const [audience = '0', dvr = '0'] = p.value.split(',');
    const time = Number(p.label);
    if (!Number.isFinite(time)) continue;
    out.push({ time, audience: Number(audience) || 0, dvrAudience: Number(dvr) || 0 });
  }
  return out.sort((a, b) => a.time - b.time);
}
