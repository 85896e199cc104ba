/**
 * The weekly summary page in a real headless browser (Debian `chromium`, driven by playwright-core;
 * `.ci/run` installs it when missing): written by the summary job against the simulator, opened
 * from disk with every non-file, non-loopback request blocked and recorded — none may be attempted —
 * with no console error, charts drawn from data, and every number equal to the CSV beside it.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext } from 'playwright-core';
import type { JobSpec } from '../../shared/config/schema.js';
import { createKalturaClient, type KalturaClient } from '../../shared/kaltura/kaltura-client.js';
import { createFileBlobStore } from '../../shared/storage/file-blob-store.js';
import { runSummary, type SummaryMessage } from '../../shared/exports/summary.js';
import { createJobMessage } from '../../shared/jobs/create-job-message.js';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { parseCsv } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';

/** The parts of DOM elements the page functions read (the project compiles without the DOM lib). */
interface Shown {
  readonly innerText: string;
}
interface Drawn {
  getBBox(): { width: number; height: number };
}
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function summarySpec(overrides: Partial<Extract<JobSpec, { kind: 'export' }>['source']> = {}): JobSpec {
  return { kind: 'export', name: 'summary', scope: 'partner', source: { type: 'summary', title: 'Weekly summary', metrics: ['count_plays', 'sum_time_viewed', 'unique_known_users'], top: 8, ...overrides } as never };
}

function summaryMessage(spec: JobSpec, partnerId: number): SummaryMessage {
  return createJobMessage(spec, {
    rule: 'weekly-exports',
    trigger: { type: 'schedule', schedule: 'weekly-exports', scheduledAt: '2026-11-23T11:00:00.000Z' },
    at: new Date('2026-11-23T11:00:00Z'),
    timezone: 'America/New_York',
    partnerId,
    defaultWindow: 'previous-week',
    defaultScope: 'partner',
  }) as SummaryMessage;
}

describe('the summary page in headless Chromium', () => {
  let sim: Simulator;
  let api: KalturaClient;
  let browser: BrowserContext;
  let dir: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does.`);
    sim = await startSimulator();
    api = createKalturaClient({ serviceUrl: sim.serviceUrl, partnerId: sim.partnerId, adminSecret: sim.adminSecret, retryBaseDelayMs: 5 });
    dir = await mkdtemp(join(tmpdir(), 'summary-page-'));
    // A fresh profile directory per run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 60_000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await sim?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function render(spec: JobSpec) {
    const root = join(dir, 'bucket');
    const message = summaryMessage(spec, sim.partnerId);
    const result = await runSummary({ api, blobStore: createFileBlobStore({ root }), prefix: 'reports/' }, message);
    const csvText = await readFile(join(root, result.dataKey), 'utf8');
    const page = await browser.newPage();
    const context = page;
    const attempted: string[] = [];
    const consoleErrors: string[] = [];
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.protocol === 'file:' || url.protocol === 'data:' || ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return route.continue();
      attempted.push(url.href);
      return route.abort('blockedbyclient');
    });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    const response = await page.goto(pathToFileURL(join(root, result.pageKey)).href, { waitUntil: 'load', timeout: 30_000 });
    return { page, context, response, attempted, consoleErrors, rows: parseCsv(csvText), result };
  }

  it('loads offline, without console errors, and its charts hold the CSV numbers', async () => {
    // Act
    const { page, context, attempted, consoleErrors, rows, result } = await render(summarySpec());
    try {
      // Assess: nothing was fetched from anywhere
      expect(attempted).toEqual([]);
      expect(consoleErrors).toEqual([]);
      expect(await page.title()).toContain('Weekly summary');
      const totals = rows.filter((r) => r[0] === 'total');
      const daily = rows.filter((r) => r[0] === 'daily');
      const top = rows.filter((r) => r[0] === 'top');
      expect(totals.length).toBe(3);
      expect(daily.length).toBe(7);
      expect(top.length).toBe(8);

      // Key metrics: cards and the metric chart say what the CSV says (value, previous, change).
      const cards = await page.$$eval('#key-metrics .card', (els) => els.map((e) => ({ metric: e.getAttribute('data-metric'), value: e.getAttribute('data-value'), previous: e.getAttribute('data-previous'), change: e.getAttribute('data-change'), text: (e.querySelector('.v') as unknown as Shown).innerText })));
      expect(cards.map((c) => [c.metric, c.value, c.previous, c.change])).toEqual(totals.map((t) => [t[3], t[4], t[5], t[6]]));
      for (const c of cards) expect(Number(c.text.replace(/,/g, ''))).toBe(Number(c.value));
      const bars = await page.$$eval('#chart-metrics g.metric', (els) => els.map((g) => ({ value: g.getAttribute('data-value'), width: (g.querySelector('rect.current') as unknown as Drawn).getBBox().width })));
      expect(bars.map((b) => b.value)).toEqual(totals.map((t) => t[4]));
      for (const b of bars) if (Number(b.value) > 0) expect(b.width).toBeGreaterThan(0);

      // Week-over-week change chart.
      const changes = await page.$$eval('#chart-change g.change', (els) => els.map((g) => g.getAttribute('data-change')));
      expect(changes).toEqual(totals.map((t) => t[6]));

      // Daily trend: one drawn column per day of the week, values from the CSV.
      const days = await page.$$eval('#chart-daily g.day', (els) => els.map((g) => ({ day: g.getAttribute('data-day'), value: g.getAttribute('data-value'), height: (g.querySelector('rect') as unknown as Drawn).getBBox().height })));
      expect(days.map((d) => [d.day, d.value])).toEqual(daily.map((d) => [d[1], d[4]]));
      expect(days.filter((d) => d.height > 1).length).toBeGreaterThan(0);

      // Top entries: chart and table in CSV order with the CSV values.
      const entries = await page.$$eval('#chart-top g.entry', (els) => els.map((g) => [g.getAttribute('data-id'), g.getAttribute('data-value')]));
      expect(entries).toEqual(top.map((t) => [t[1], t[4]]));
      const table = await page.$$eval('#top-entries tbody tr', (trs) => trs.map((tr) => [tr.getAttribute('data-id'), (tr.querySelector('td.n') as unknown as Shown).innerText]));
      expect(table.map(([id, text]) => [id, String(Number(text!.replace(/,/g, '')))])).toEqual(top.map((t) => [t[1], String(Number(t[4]))]));

      // It really rendered: the SVG charts have a size on the page.
      const box = await page.locator('#chart-daily').boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(100);
      expect(result.manifest.source.type).toBe('summary');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('keeps names as text: quotes, apostrophes and accents in the top list are escaped, the page still has no errors', async () => {
    // Act: report 36 rows are named by country; names with quotes/accents/apostrophes go through the same escaping.
    const { page, context, attempted, consoleErrors, rows } = await render(summarySpec({ reportType: 36, nameColumn: 'country', metrics: ['count_plays'] } as never));
    try {
      // Assess
      expect(attempted).toEqual([]);
      expect(consoleErrors).toEqual([]);
      const names = rows.filter((r) => r[0] === 'top').map((r) => r[2]);
      expect(names).toContain("Côte d'Ivoire");
      const cells = await page.$$eval('#top-entries tbody tr td:nth-child(2)', (tds) => tds.map((td) => (td as unknown as Shown).innerText));
      expect(cells).toEqual(names);
    } finally {
      await context.close();
    }
  }, 60_000);
});
