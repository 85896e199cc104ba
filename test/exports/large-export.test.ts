/**
 * A large export through the whole path: the simulator's `big` entry exported with
 * getUrlForReportAsCsv (50,000 table rows, several MB), streamed into s3rver as a multipart upload
 * by the real @aws-sdk/client-s3, and checked byte for byte against its manifest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { createKalturaClient, type KalturaClient } from '../../shared/kaltura/kaltura-client.js';
import { createS3BlobStore } from '../../shared/storage/s3-blob-store.js';
import { runExport } from '../../shared/exports/run-export.js';
import type { ExportManifest } from '../../shared/exports/manifest.js';
import { makeMessage, sha256, startS3, type S3Peer } from './helpers.js';

let sim: Simulator;
let client: KalturaClient;
let s3: S3Peer;

beforeAll(async () => {
  [sim, s3] = await Promise.all([startSimulator({ bigRowCount: 50_000 }), startS3()]);
  client = createKalturaClient({ serviceUrl: sim.serviceUrl, partnerId: sim.partnerId, adminSecret: sim.adminSecret, retryBaseDelayMs: 5, timeoutMs: 20_000 });
});
afterAll(async () => {
  await client?.close();
  await Promise.all([sim?.close(), s3?.close()]);
});

describe('large export', () => {
  it('streams a multi-part CSV into S3 and the object matches its manifest', async () => {
    // Prepare
    const parts: number[] = [];
    s3.client.middlewareStack.add((next, ctx) => async (args) => {
      if (ctx.commandName === 'UploadPartCommand') parts.push((args.input as { PartNumber: number }).PartNumber);
      return next(args);
    }, { step: 'initialize', name: 'countParts' });
    const store = createS3BlobStore({ bucket: s3.bucket, client: s3.client });
    const message = makeMessage(
      { kind: 'export', name: 'big-csv', scope: 'entry', source: { type: 'csv-url', reportType: 1, reportTitle: 'Big entry', tableHeaders: ['Entry ID', 'Entry name', 'Plays', 'Minutes viewed', 'Avg minutes', 'Loads', 'Load to play', 'Drop-off'] } },
      { notification: { object: { id: '1_big_entry' } } },
    );
    // Act
    const result = await runExport({ api: client, blobStore: store, prefix: 'reports/' }, message);
    // Assess
    expect(parts.length).toBeGreaterThanOrEqual(2);
    const manifest = JSON.parse((await s3.read(result.manifestKey))!.toString()) as ExportManifest;
    const csv = (await s3.read(result.dataKey))!;
    expect(csv.length).toBeGreaterThan(5 * 1024 * 1024);
    expect(manifest.bytes).toBe(csv.length);
    expect(sha256(csv)).toBe(manifest.sha256);
    expect(manifest.rows).toBe(50_000);
  });
});
