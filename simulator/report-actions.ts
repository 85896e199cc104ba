/** report.getTotal / getTable / getGraphs (WIRE_FACTS §1). CSV actions live in csv-actions.ts. */
import type { ActionDef } from './context.js';
import { parseReportQuery, serializeGraphs, serializeTable, serializeTotal } from './reports.js';

export const reportActions: Record<string, ActionDef> = {
  'report.gettotal': {
    handler: (ctx) => serializeTotal(parseReportQuery(ctx.params, ctx.state.config.bigRowCount, ctx.state.config.partnerId)),
  },
  'report.gettable': {
    handler: (ctx) => {
      const query = parseReportQuery(ctx.params, ctx.state.config.bigRowCount, ctx.state.config.partnerId);
      return serializeTable(query, ctx.params.pager);
    },
  },
  'report.getgraphs': {
    handler: (ctx) => serializeGraphs(parseReportQuery(ctx.params, ctx.state.config.bigRowCount, ctx.state.config.partnerId)),
  },
};
