/**
 * CSV exports (WIRE_FACTS §2): report.getUrlForReportAsCsv (+ report.serve download) and
 * report.getCsvFromStringParams (raw CSV `file` action). Files are generated as they stream.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type ActionDef, type CallContext, DieError, FileResult, randomHex } from './context.js';
import { apiError, missingParam } from './errors.js';
import type { Params } from './params.js';
import { parseReportQuery, serializeGraphs, tableModel, totalValues } from './reports.js';
import { entryNameFor, isBig, isQuiet } from './synthetic.js';
import { csvFileBucket, hash32, int, intIn, isRecord, mix, nowSeconds, phpLongDate, str, unit } from './util.js';

const BOM = '\uFEFF';
const RULE = '"# ------------------------------------"\n';

/** One cell as `myCsvWrapper` writes it: formula guard, quotes doubled, always quoted. */
export function csvCell(value: string): string {
  const first = value.charCodeAt(0);
  // Fast path: no quotes, no leading space and not a formula character.
  if (!/["'\s]/.test(value.slice(0, 1)) && first !== 43 && first !== 61 && first !== 45 && first !== 64 && first !== 44) {
    return value.includes('"') ? `"${value.replace(/"/g, '""')}"` : `"${value}"`;
  }
  const cleaned = value.replace(/['"]/g, '').trim();
  const guarded = /^[+=\-@,]/.test(cleaned) ? `'${cleaned}` : value;
  return `"${guarded.replace(/"/g, '""')}"`;
}

const line = (cells: ReadonlyArray<string>): string => cells.map(csvCell).join(',') + '\n';

const MONTHS_SHORT = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function graphDate(label: string): string {
  if (/^\d{6}$/.test(label)) return `${MONTHS_SHORT[Number(label.slice(4, 6)) - 1] ?? ''} ${label.slice(0, 4)}`;
  if (/^\d{8}(\d{2})?$/.test(label)) {
    const t = Date.UTC(Number(label.slice(0, 4)), Number(label.slice(4, 6)) - 1, Number(label.slice(6, 8)), label.length === 10 ? Number(label.slice(8, 10)) : 0) / 1000;
    return label.length === 10 ? `${phpLongDate(t)} ${label.slice(8, 10)}:00:00` : phpLongDate(t);
  }
  return label;
}

function splitNames(part: string | undefined): string[] {
  if (part === undefined) return [];
  return part
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function* reportCsvLines(params: Params, bigRowCount: number, partnerId: number): Generator<string> {
  const q = parseReportQuery(params, bigRowCount, partnerId);
  const headers = str(params.headers) ?? '';
  const semi = headers.indexOf(';');
  const totalNames = splitNames(semi < 0 ? headers : headers.slice(0, semi));
  const tableNames = semi < 0 ? [] : splitNames(headers.slice(semi + 1));
  yield BOM + line([str(params.reportTitle) ?? '']);
  yield line([phpLongDate(q.fromDate), phpLongDate(q.toDate)]);
  yield line([str(params.reportText) ?? '']);
  yield RULE;
  yield '""\n';
  yield RULE + '"# Graph"\n' + RULE + '""\n';
  const dimension = str(params.dimension);
  if (dimension) {
    const graph = serializeGraphs(q).find((g) => g.id === dimension);
    const data = typeof graph?.data === 'string' ? graph.data : '';
    for (const point of data.split(';')) {
      if (point === '') continue;
      const cut = point.lastIndexOf(q.delimiter);
      yield line([graphDate(point.slice(0, cut)), point.slice(cut + q.delimiter.length)]);
    }
  }
  const totals = totalValues(q);
  if (totalNames.length > 0 && totals !== undefined) {
    yield '""\n' + RULE + '"# Total"\n' + RULE;
    yield line(totalNames);
    yield line(totals.slice(0, totalNames.length));
  }
  const table = tableModel(q);
  let start = 0;
  let end = table.rowCount;
  if (isRecord(params.pager)) {
    const size = int(params.pager.pageSize) ?? 0;
    const index = Math.max(1, int(params.pager.pageIndex) ?? 1);
    if (size > 0) {
      start = (index - 1) * size;
      end = Math.min(end, start + size);
    }
  }
  if (tableNames.length > 0 && end > start) {
    yield '""\n' + RULE + line(['# Table', '', 'Total Count', String(table.rowCount)]) + RULE;
    yield line(tableNames);
    for (let i = start; i < end; i++) yield line(table.rowAt(i).slice(0, tableNames.length));
  }
}

function required(params: Params, name: string): string {
  const value = str(params[name]);
  if (value === undefined) throw missingParam(name);
  return value;
}

/** Writes the report file to disk as it is generated (constant memory), like myCsvReport does. */
async function writeReportFile(path: string, lines: Iterable<string>): Promise<number> {
  const out = createWriteStream(path);
  let size = 0;
  let pending = '';
  try {
    for (const chunk of lines) {
      pending += chunk;
      if (pending.length >= 65536) {
        const buf = Buffer.from(pending, 'utf8');
        pending = '';
        size += buf.length;
        if (!out.write(buf)) await once(out, 'drain');
      }
    }
    const buf = Buffer.from(pending, 'utf8');
    size += buf.length;
    out.end(buf);
    await once(out, 'finish');
    return size;
  } catch (error) {
    out.destroy();
    await rm(path, { force: true });
    throw error;
  }
}

const getUrlForReportAsCsv: ActionDef = {
  handler: async (ctx: CallContext) => {
    const { params, state } = ctx;
    required(params, 'reportTitle');
    required(params, 'reportText');
    required(params, 'headers');
    parseReportQuery(params, state.config.bigRowCount, state.config.partnerId);
    if (isRecord(params.pager)) {
      const size = int(params.pager.pageSize) ?? 0;
      const index = int(params.pager.pageIndex) ?? 1;
      if (size * index > 60000) throw apiError('SEARCH_TOO_GENERAL');
    }
    const now = nowSeconds();
    for (const [oldId, spec] of state.csvFiles) {
      // The download KS lives at most 24 h: older files can go.
      if (spec.createdAt < now - 86400) {
        state.csvFiles.delete(oldId);
        await rm(spec.path, { force: true });
      }
    }
    const id = `${randomHex(7).slice(0, 13)}_${csvFileBucket(now)}`;
    const path = join(state.reportsDir(), id);
    const size = await writeReportFile(path, reportCsvLines(structuredClone(params), state.config.bigRowCount, state.config.partnerId));
    state.csvFiles.set(id, { id, path, size, createdAt: now });
    const ks = state.issueKs({ type: 0, userId: '', validUntil: now + Math.min(state.config.ksMaxExpirySeconds, 86400), privileges: `download:${id}` });
    return `${ctx.origin}/api_v3/index.php/service/report/action/serve/ks/${ks}/id/${id}/report.csv`;
  },
};

const serve: ActionDef = {
  ksIgnored: true,
  handler: (ctx: CallContext) => {
    const { params, state } = ctx;
    const ksString = str(params.ks);
    const id = str(params.id) ?? '';
    if (!ksString) throw new DieError('ACCESS_CONTROL_RESTRICTED', 'Access to this resource is restricted');
    let allowed = false;
    try {
      const ks = ctx.validateKs(ksString);
      allowed = ks.type === 2 || ks.privileges.download === id;
    } catch {
      allowed = false;
    }
    if (!allowed) throw new DieError('ACCESS_CONTROL_RESTRICTED', 'Access to this resource is restricted');
    const spec = state.csvFiles.get(id);
    if (!spec) throw new DieError('FILE_NOT_FOUND', 'File not found');
    return new FileResult('text/csv', { 'Content-Disposition': 'attachment; filename="report.csv"' }, { path: spec.path, size: spec.size }, true);
  },
};

const FIRST = ['Ana', 'Björn', 'Chen', 'Conor', 'Dana', 'Élodie', 'Farah', 'Gustavo'];
const LAST = ['Souza', 'Ödegaard', 'Wei', "O'Brien", 'Jones', 'Martin', 'Haddad', 'Peña'];
const COMPANIES = ['Acme, Inc.', 'Globex', 'Initech; Ltd', 'Umbrella "Corp"', 'Société Générale', '株式会社 Example'];

const STRING_REPORTS: Record<number, ReadonlyArray<string>> = {
  4021: [
    'email',
    'combined_live_engaged_users_play_time_ratio',
    'download_attachment',
    'add_to_calendar',
    'raise_hand',
    'mic_on',
    'cam_on',
    'clap_clicked_count',
    'heart_clicked_count',
    'think_clicked_count',
    'wow_clicked_count',
    'smile_clicked_count',
    'total_reactions_activity',
    'answered_polls',
    'messages_sent_group',
    'qna_threads',
  ],
  6000: ['room_id', 'room_name', 'start_time', 'end_time', 'duration_minutes', 'participants', 'max_concurrent_participants'],
  6001: ['user_id', 'email', 'full_name', 'room_id', 'join_time', 'leave_time', 'duration_minutes', 'cam_on_minutes', 'mic_on_minutes'],
  6002: ['breakout_room_id', 'breakout_room_name', 'room_id', 'participants', 'duration_minutes'],
  3006: ['entry_id', 'user_id', 'email', 'count_add_to_calendar_clicked', 'first_name', 'last_name', 'company'],
  3007: ['user_id', 'email', 'entry_id', 'entry_name', 'media_type', 'view_time', 'play', 'first_name', 'last_name', 'company'],
  3008: ['user_id', 'email', 'entry_id', 'attachment_id', 'attachment_title', 'download_attachment_clicked', 'first_name', 'last_name', 'company'],
};

function stringReportCell(column: string, seed: number, index: number, entryId: string): string {
  const user = `user${index + 1}@example.com`;
  const first = FIRST[mix(seed, 1) % FIRST.length] ?? 'Ana';
  const last = LAST[mix(seed, 2) % LAST.length] ?? 'Souza';
  switch (column) {
    case 'email':
      return user;
    case 'user_id':
      return `user${index + 1}`;
    case 'full_name':
      return `${first} ${last}`;
    case 'first_name':
      return first;
    case 'last_name':
      return last;
    case 'company':
      return COMPANIES[mix(seed, 3) % COMPANIES.length] ?? '';
    case 'entry_id':
      return entryId;
    case 'entry_name':
      return entryNameFor(entryId);
    case 'media_type':
      return 'Video';
    case 'room_id':
      return `room_${mix(seed, 4) % 50}`;
    case 'room_name':
    case 'breakout_room_name':
      return `Room ${mix(seed, 5) % 50}, floor ${mix(seed, 6) % 5}`;
    case 'breakout_room_id':
      return `br_${index}`;
    case 'attachment_id':
      return `att_${mix(seed, 7) % 1000}`;
    case 'attachment_title':
      return `Slides — part ${index % 4}, "final"`;
    case 'start_time':
    case 'join_time':
      return String(1735689600 + (mix(seed, 8) % 86400));
    case 'end_time':
    case 'leave_time':
      return String(1735689600 + 86400 + (mix(seed, 9) % 86400));
    case 'combined_live_engaged_users_play_time_ratio':
      return String(Math.round(unit(seed, 10) * 10000) / 10000);
    default:
      return String(intIn(seed, hash32(column), 0, 40));
  }
}

function* stringReportLines(columns: ReadonlyArray<string>, rows: number, seed: number, entries: ReadonlyArray<string>): Generator<string> {
  yield BOM + columns.join(',') + '\n';
  for (let i = 0; i < rows; i++) {
    const rowSeed = mix(seed, i);
    const entry = entries.length > 0 ? (entries[i % entries.length] ?? '') : `1_${(mix(seed, 1000 + (i % 7)) >>> 0).toString(36).slice(0, 8)}`;
    yield columns.map((c) => stringReportCell(c, rowSeed, i, entry).replace(/,/g, ' ')).join(',') + '\n';
  }
}

const getCsvFromStringParams: ActionDef = {
  handler: (ctx: CallContext) => {
    const { params, state } = ctx;
    const idRaw = str(params.id);
    if (idRaw === undefined || idRaw === '') throw missingParam('id');
    const id = Number(idRaw);
    const all = STRING_REPORTS[id];
    if (!all) throw apiError('REPORT_NOT_FOUND', { ID: idRaw });
    const pairs: Array<[string, string]> = [];
    for (const part of (str(params.params) ?? '').split(';')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const k = eq < 0 ? part : part.slice(0, eq);
      const v = eq < 0 ? '' : part.slice(eq + 1);
      pairs.push([k, k === 'partner_id' ? String(state.config.partnerId) : v]);
    }
    const excluded = new Set((str(params.excludedFields) ?? '').split(',').map((s) => s.trim()));
    const columns = all.filter((c) => !excluded.has(c));
    const scope = pairs.filter(([k]) => /entry|event|user/i.test(k)).flatMap(([, v]) => v.split(/[,|]/)).filter((s) => s !== '');
    const entries = pairs.filter(([k]) => /entr/i.test(k)).flatMap(([, v]) => v.split(/[,|]/)).filter((s) => s !== '');
    const quiet = scope.length > 0 && scope.every(isQuiet);
    const big = scope.some(isBig);
    const rows = quiet ? 0 : big ? state.config.bigRowCount : 20;
    const seed = hash32(`${id}|${pairs.map(([k, v]) => `${k}=${v}`).join(';')}`);
    let filename = `Report_${id}_${state.config.partnerId}${pairs.map(([k, v]) => `_${k}_${v}`).join('')}`;
    if (filename.length > 200) filename = filename.slice(0, 200);
    return new FileResult('text/csv', { 'Content-Disposition': `attachment; filename="${filename.replace(/["\r\n]/g, '')}.csv"` }, () => stringReportLines(columns, rows, seed, entries), true);
  },
};

export const csvActions: Record<string, ActionDef> = {
  'report.geturlforreportascsv': getUrlForReportAsCsv,
  'report.serve': serve,
  'report.getcsvfromstringparams': getCsvFromStringParams,
};

