/**
 * The summary job's numbers and files, and the enrichment of table exports, against the simulator:
 * change percentages, DST-safe days, CSV escaping, an empty period, a destination that fails, joined
 * user/entry columns and the errors that say which column to configure.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSpec } from '../../shared/config/schema.js';
import { createJobMessage } from '../../shared/jobs/create-job-message.js';
import { computeWindow } from '../../shared/jobs/window.js';
import { createKalturaClient, type KalturaClient } from '../../shared/kaltura/kaltura-client.js';
import { createFileBlobStore } from '../../shared/storage/file-blob-store.js';
import { changePercent, runSummary, summaryCsv, windowDays, type SummaryData, type SummaryMessage } from '../../shared/exports/summary.js';
import { enrichPages, EnrichmentColumnError } from '../../shared/exports/enrich.js';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { rawLogger } from '../helpers/raw-logger.js';
import { teamsPayload } from '../../shared/alerts/destinations/teams.js';
import { slackPayload } from '../../shared/alerts/destinations/slack.js';
import type { AlertMessage } from '../../shared/alerts/alert-message.js';
import { parseCsv } from './helpers.js';

let sim: Simulator;
let api: KalturaClient;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator();
  api = createKalturaClient({ serviceUrl: sim.serviceUrl, partnerId: sim.partnerId, adminSecret: sim.adminSecret, retryBaseDelayMs: 5 });
  dir = await mkdtemp(join(tmpdir(), 'summary-enrich-'));
});
afterAll(async () => {
  await api.close();
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

function summaryMessage(source: Record<string, unknown>, subject?: { scope: 'entry' | 'child-partner'; id: string }): SummaryMessage {
  const spec = { kind: 'export', name: 'summary', scope: subject?.scope ?? 'partner', source: { type: 'summary', ...source } } as JobSpec;
  return createJobMessage(spec, {
    rule: 'weekly',
    trigger: { type: 'schedule', schedule: 'weekly', scheduledAt: '2026-11-23T11:00:00.000Z' },
    at: new Date('2026-11-23T11:00:00Z'),
    timezone: 'America/New_York',
    partnerId: sim.partnerId,
    defaultWindow: 'previous-week',
    defaultScope: 'partner',
    ...(subject ? { subjectId: subject.id } : {}),
  }) as SummaryMessage;
}

describe('summary numbers', () => {
  it('computes the change in percent with one decimal, empty without a previous value', () => {
    expect(changePercent('110', '100')).toBe('10.0');
    expect(changePercent('90', '100')).toBe('-10.0');
    expect(changePercent('100', '100')).toBe('0.0');
    expect(changePercent('5', '0')).toBe('');
    expect(changePercent('1', '3')).toBe('-66.7');
  });

  it('lists seven days for a week that crosses the end of daylight saving time', () => {
    // Prepare: Monday Nov 2, 2026 -> the week Oct 26 - Nov 1 (New York falls back on Nov 1).
    const window = computeWindow('previous-week', new Date('2026-11-02T12:00:00Z'), 'America/New_York');
    // Act
    const days = windowDays(window);
    // Assess
    expect(days).toEqual(['20261026', '20261027', '20261028', '20261029', '20261030', '20261031', '20261101']);
  });

  it('writes names with commas, quotes and line breaks as RFC 4180 cells that parse back', () => {
    // Prepare
    const data = { totals: [], daily: [], topBy: 'count_plays', top: [{ id: '1_a', name: 'Q&A, "live"\nday 2', value: '7' }] } as unknown as SummaryData;
    // Act
    const rows = parseCsv(summaryCsv(data));
    // Assess
    expect(rows[1]).toEqual(['top', '1_a', 'Q&A, "live"\nday 2', 'count_plays', '7', '', '']);
  });
});

describe('runSummary', () => {
  it('for a period without data writes zeros, no top list, and a page that says so', async () => {
    // Prepare
    const root = join(dir, 'quiet');
    // Act
    const result = await runSummary({ api, blobStore: createFileBlobStore({ root }), prefix: 'reports/' }, summaryMessage({ reportType: 1, metrics: ['count_plays'] }, { scope: 'entry', id: '1_quiet' }));
    // Assess
    const rows = parseCsv(await readFile(join(root, result.dataKey), 'utf8'));
    expect(rows.filter((r) => r[0] === 'total')).toEqual([['total', '', '', 'count_plays', '0', '0', '']]);
    expect(rows.filter((r) => r[0] === 'daily').every((r) => r[4] === '0')).toBe(true);
    expect(rows.filter((r) => r[0] === 'top')).toEqual([]);
    expect(await readFile(join(root, result.pageKey), 'utf8')).toContain('No entry had data in this period.');
  });

  it('for a child partner, totals are that child account\'s (objectIds), not the parent\'s', async () => {
    // Prepare
    const root = join(dir, 'child');
    const child = String(sim.partnerId * 100 + 2);
    const message = summaryMessage({ reportType: 60, metrics: ['count_plays'], nameColumn: 'partner_id' }, { scope: 'child-partner', id: child });
    const filter = { fromDate: message.window.from, toDate: message.window.to };
    // Act
    const result = await runSummary({ api, blobStore: createFileBlobStore({ root }), prefix: 'reports/' }, message);
    // Assess
    const rows = parseCsv(await readFile(join(root, result.dataKey), 'utf8'));
    const childTable = await api.getTable({ reportType: 60, filter, objectIds: [child], pageSize: 10, pageIndex: 1 });
    const allTable = await api.getTable({ reportType: 60, filter, pageSize: 10, pageIndex: 1 });
    expect(result.dataKey).toContain(`/summary/${child}/`);
    expect(rows.filter((r) => r[0] === 'top').map((r) => r[1])).toEqual([child]);
    expect(childTable.rows.map((r) => r.partner_id)).toEqual([child]);
    expect(allTable.rows.length).toBe(3);
  });

  it('still writes its files when a destination fails, and logs why', async () => {
    // Prepare
    const root = join(dir, 'failing');
    const lines: string[] = [];
    const sent: string[] = [];
    const notify = async (destinations: ReadonlyArray<string>, message: { title: string }) => {
      sent.push(`${destinations.join(',')}: ${message.title}`);
      throw new Error('Alert destination "team-slack": answered HTTP 404');
    };
    // Act
    const result = await runSummary({ api, blobStore: createFileBlobStore({ root }), prefix: 'reports/', notify: notify as never, logger: rawLogger(lines) }, summaryMessage({ destinations: ['team-slack'], title: 'Weekly' }));
    // Assess
    expect(sent).toEqual(['team-slack: [SUMMARY] Weekly']);
    expect((await readFile(join(root, result.dataKey))).length).toBeGreaterThan(0);
    expect((await readFile(join(root, result.pageKey))).length).toBeGreaterThan(0);
    expect(lines.join('\n')).toContain('summary notification failed');
  });
});

describe('the summary headline in chat', () => {
  it('gives Slack and Teams every total of the CSV, its change, the top entry and the page key', async () => {
    // Prepare
    const root = join(dir, 'chat');
    const sent: AlertMessage[] = [];
    // Act
    const result = await runSummary(
      { api, blobStore: createFileBlobStore({ root }), prefix: 'reports/', notify: async (_d, m) => void sent.push(m) },
      summaryMessage({ destinations: ['team-slack'], title: 'Weekly', metrics: ['count_plays', 'sum_time_viewed'] }),
    );
    // Assess
    const rows = parseCsv(await readFile(join(root, result.dataKey), 'utf8'));
    const totals = rows.filter((r) => r[0] === 'total');
    const leader = rows.find((r) => r[0] === 'top')!;
    expect(sent).toHaveLength(1);
    for (const rendered of [JSON.stringify(slackPayload(sent[0]!)), JSON.stringify(teamsPayload(sent[0]!))]) {
      for (const t of totals) {
        expect(rendered).toContain(`${t[3]} ${t[4]} (`);
        expect(rendered).toContain(t[6] === '' ? 'no previous data' : `${t[6]} % vs previous period`);
      }
      expect(rendered).toContain(leader[1]);
      expect(rendered).toContain(result.pageKey);
    }
  });
});

describe('enrichPages', () => {
  const window = { fromDate: 1763269200, toDate: 1763874000 };

  it('appends user.<field> columns from user.list and entry.<field> columns from baseEntry.list', async () => {
    // Act
    const users = [];
    for await (const page of enrichPages(api, api.iterateTable({ reportType: 13, filter: window, pageSize: 10, maxRows: 10 }), { users: ['firstName', 'email', 'company'] })) users.push(page);
    const entries = [];
    for await (const page of enrichPages(api, api.iterateTable({ reportType: 38, filter: window, pageSize: 5, maxRows: 5 }), { entries: ['name', 'tags'] })) entries.push(page);
    // Assess
    const userPage = users[0]!;
    expect(userPage.header.slice(-3)).toEqual(['user.firstName', 'user.email', 'user.company']);
    for (const row of userPage.rows) expect(row.at(-2)).toBe(row[0]);
    const entryPage = entries[0]!;
    expect(entryPage.header.slice(-2)).toEqual(['entry.name', 'entry.tags']);
    expect(entryPage.rows.every((r) => (r.at(-2) ?? '').includes(r[0]!))).toBe(true);
    expect(entryPage.rows.every((r) => r.at(-1) === 'simulator, synthetic')).toBe(true);
  });

  it('names the report columns when the id column is not there', async () => {
    // Act
    const run = async () => {
      for await (const page of enrichPages(api, api.iterateTable({ reportType: 21, filter: window, pageSize: 5, maxRows: 5 }), { users: ['email'] })) void page;
    };
    // Assess
    await expect(run()).rejects.toThrow(EnrichmentColumnError);
    await expect(run()).rejects.toThrow(/its columns: device,.*set enrich\.userColumn/);
  });
});
