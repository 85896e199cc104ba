/**
 * Information, not a target: the export worker's outside calls in a minimal handler, per job: the
 * Kaltura credentials from Secrets Manager, one Kaltura API call over undici (through the project's
 * slim loader, shared/http/undici-lazy.ts, so undici costs here what it costs the worker), the CSV
 * and its manifest into S3. Clients at module scope. Set beside the export worker it separates what
 * those calls cost from what the project's own code adds (bench/bundles.bench.ts).
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { loadUndici } from '../../shared/http/undici-lazy.js';

const secrets = new SecretsManagerClient({});
const s3 = new S3Client({});

export const handler = async (event: { Records?: Array<{ messageId: string; body: string }> }): Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }> => {
  const { request } = await loadUndici();
  for (const record of event.Records ?? []) {
    await secrets.send(new GetSecretValueCommand({ SecretId: process.env.KALTURA_CREDENTIALS_SECRET }));
    const res = await request(`${process.env.KALTURA_SERVICE_URL}/service/report/action/getTable`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ format: 1, reportType: 1, pager: { pageSize: 500, pageIndex: 1 } }),
    });
    const table = await res.body.text();
    const csv = `report\n${JSON.stringify(table.length)}\n`;
    await s3.send(new PutObjectCommand({ Bucket: process.env.BUCKET_NAME, Key: `baseline/${record.messageId}.csv`, Body: csv, ContentType: 'text/csv' }));
    await s3.send(new PutObjectCommand({ Bucket: process.env.BUCKET_NAME, Key: `baseline/${record.messageId}.manifest.json`, Body: JSON.stringify({ bytes: csv.length }), ContentType: 'application/json' }));
  }
  return { batchItemFailures: [] };
};
