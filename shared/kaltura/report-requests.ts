/**
 * Parameters of the report actions (getTotal, getTable, getGraphs, getUrlForReportAsCsv).
 *
 * The client always asks for `responseOptions[delimiter]=|`. The delimiter also splits multi-value
 * filter fields on the server (`entryIdIn`, `categoriesIdsIn`, … and `objectIds`, WIRE_FACTS §1.2),
 * so array values are joined with `|` here; a string value is sent as given (it must then use `|`).
 */
import type { ReportRequest } from './kaltura-api.js';
import { REPORT_DELIMITER } from './report-parsing.js';

/** Report actions refuse more than 12000 rows through getTable (WIRE_FACTS §1.5). */
export const MAX_TABLE_ROWS = 12_000;

export function reportFilterParams(filter: ReportRequest['filter']): Record<string, unknown> {
  const out: Record<string, unknown> = { objectType: 'KalturaEndUserReportInputFilter' };
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    out[key] = Array.isArray(value) ? (value as ReadonlyArray<string>).join(REPORT_DELIMITER) : value;
  }
  return out;
}

export function reportParams(request: ReportRequest): Record<string, unknown> {
  return {
    reportType: request.reportType,
    reportInputFilter: reportFilterParams(request.filter),
    ...(request.objectIds && request.objectIds.length ? { objectIds: request.objectIds.join(REPORT_DELIMITER) } : {}),
    ...(request.order ? { order: request.order } : {}),
    responseOptions: { objectType: 'KalturaReportResponseOptions', delimiter: REPORT_DELIMITER },
  };
}

export function pagerParams(pageSize: number, pageIndex: number): Record<string, unknown> {
  return { objectType: 'KalturaFilterPager', pageSize, pageIndex };
}

export function totalParams(request: ReportRequest): Record<string, unknown> {
  return reportParams(request);
}

export function tableParams(request: ReportRequest, pageSize: number, pageIndex: number): Record<string, unknown> {
  return { ...reportParams(request), pager: pagerParams(pageSize, pageIndex) };
}

export function graphsParams(request: ReportRequest & { dimension?: string }): Record<string, unknown> {
  return { ...reportParams(request), ...(request.dimension ? { dimension: request.dimension } : {}) };
}
