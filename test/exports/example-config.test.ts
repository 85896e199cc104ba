/**
 * The example configuration's schedule and export rules, run with the file blob store (the local
 * bucket) against the simulator: what `kreports schedule run weekly-exports` and `npm start` rely on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { createKalturaClient, type KalturaClient } from '../../shared/kaltura/kaltura-client.js';
import { loadConfigFile } from '../../shared/config/load-config.js';
import { createFileBlobStore } from '../../shared/storage/file-blob-store.js';
import { planScheduleJobs } from '../../shared/schedules/run-schedule.js';
import { runExport } from '../../shared/exports/run-export.js';
import { createJobMessage } from '../../shared/jobs/create-job-message.js';
import type { ExportManifest } from '../../shared/exports/manifest.js';
import type { ReportingConfig } from '../../shared/config/schema.js';
import { sha256 } from './helpers.js';

let sim: Simulator;
let client: KalturaClient;
let root: string;
let config: ReportingConfig;

beforeAll(async () => {
  sim = await startSimulator();
  client = createKalturaClient({ serviceUrl: sim.serviceUrl, reportsUrl: sim.reportsUrl, partnerId: sim.partnerId, adminSecret: sim.adminSecret, retryBaseDelayMs: 5 });
  root = await mkdtemp(join(tmpdir(), 'bucket-example-'));
  config = await loadConfigFile('config/reporting.example.yaml');
});
afterAll(async () => {
  await client?.close();
  await sim?.close();
  await rm(root, { recursive: true, force: true });
});

async function readManifest(key: string): Promise<ExportManifest> {
  const manifest = JSON.parse(await readFile(join(root, ...key.split('/')), 'utf8')) as ExportManifest;
  const csv = await readFile(join(root, ...manifest.dataKey.split('/')));
  expect(sha256(csv)).toBe(manifest.sha256);
  return manifest;
}

describe('example configuration', () => {
  it("weekly-exports run as of Monday 23 November 2026 writes that week's CSVs and manifests", async () => {
    // Prepare
    const store = createFileBlobStore({ root });
    const messages = planScheduleJobs(config, 'weekly-exports', new Date('2026-11-23T11:00:00Z'), { partnerId: sim.partnerId });
    // Act
    for (const message of messages) await runExport({ api: client, blobStore: store, prefix: config.output.prefix }, message);
    // Assess
    const folder = join(root, 'reports', 'weekly-exports');
    expect((await readdir(folder)).sort()).toEqual(['summary', 'top-content', 'top-creators-csv']);
    expect((await readdir(join(folder, 'summary', String(sim.partnerId)))).sort()).toEqual(['2026-11-16_2026-11-23.csv', '2026-11-16_2026-11-23.manifest.json', '2026-11-16_2026-11-23.summary.html']);
    for (const job of ['top-content', 'top-creators-csv']) {
      const files = (await readdir(join(folder, job, String(sim.partnerId)))).sort();
      expect(files).toEqual(['2026-11-16_2026-11-23.csv', '2026-11-16_2026-11-23.manifest.json']);
      const manifest = await readManifest(`reports/weekly-exports/${job}/${sim.partnerId}/2026-11-16_2026-11-23.manifest.json`);
      expect(manifest.rows).toBeGreaterThan(0);
      expect(manifest.window).toMatchObject({ timezone: 'America/New_York', label: '2026-11-16_2026-11-23' });
    }
  });

  it("entry-ready's export writes a CSV whose key names the entry", async () => {
    // Prepare
    const store = createFileBlobStore({ root });
    const rule = config.rules.find((r) => r.name === 'entry-ready')!;
    const spec = rule.jobs.find((j) => j.kind === 'export')!;
    const message = createJobMessage(spec, {
      rule: rule.name,
      trigger: { type: 'notification', eventNotificationJobId: '9001', receivedAt: '2026-11-20T15:00:00.000Z' },
      at: new Date('2026-11-20T15:00:00Z'),
      timezone: config.kaltura.timezone,
      partnerId: sim.partnerId,
      defaultWindow: { lastDays: 30 },
      defaultScope: 'entry',
      notification: { object: { id: '0_ready42', name: 'Sales kick-off', status: 2 } },
    });
    // Act
    const result = await runExport({ api: client, blobStore: store, prefix: config.output.prefix }, message);
    // Assess
    expect(result.dataKey).toMatch(/^reports\/entry-ready\/performance\/0_ready42\/\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.csv$/);
    const manifest = await readManifest(result.manifestKey);
    expect(manifest.job.subject).toEqual({ scope: 'entry', id: '0_ready42', name: 'Sales kick-off' });
  });
});
