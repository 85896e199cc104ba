/**
 * Every kreports command through its bin (`node bin/kreports.js …`), as a user runs it:
 * exit codes 0/1/2, one-line errors on stderr, --help, --json.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { buildNotification } from '../../simulator/notifications.js';
import { LocalDeadLetterSink } from '../../local/local-dead-letter-sink.js';
import { runCli, startStack, tempDir, waitFor } from './helpers.js';
import { startS3 } from '../exports/helpers.js';

const COMMANDS = ['start', 'send-test-webhook', 'export', 'schedule', 'replay', 'validate-config', 'setup-webhook', 'doctor'];

const dirs: Array<{ remove: () => Promise<void> }> = [];
async function aDataDir(): Promise<string> {
  const dir = await tempDir('kreports-cli-');
  dirs.push(dir);
  return dir.path;
}
afterAll(async () => {
  for (const d of dirs.splice(0)) await d.remove();
});

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** An archived notification (version 1 document) under DATA_DIR/bucket, as the receiver keeps it, received 2026-11-20. */
async function archiveNotification(dataDir: string, eventNotificationJobId: number, entryId: string): Promise<void> {
  const body = buildNotification(4242, 'x', { entryId, eventNotificationJobId }).body.toString('utf8');
  const archiveDir = join(dataDir, 'bucket', 'archive', 'notifications', '2026', '11', '20');
  await mkdir(archiveDir, { recursive: true });
  await writeFile(join(archiveDir, `${eventNotificationJobId}.json`), JSON.stringify({ version: 1, eventNotificationJobId: String(eventNotificationJobId), receivedAt: '2026-11-20T10:00:00.000Z', contentType: 'application/json', hashAlgo: 'sha256', bodyFormat: 'json', body }));
}

describe('kreports usage', () => {
  it.concurrent('lists the commands with --help and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const name of COMMANDS) expect(result.stdout).toContain(name);
  });

  it.concurrent('exits 2 with one line for an unknown command', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it.concurrent.each(COMMANDS)('%s --help prints its usage and exits 0', async (name) => {
    const result = await runCli([name, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage:/);
    expect(result.stdout).toContain(`kreports ${name}`);
  });

  it.concurrent('exits 2 naming a --from that is not a calendar day (rather than rolling it over), as a day or in an ISO time', async () => {
    const day = await runCli(['export', '--report-type', '1', '--from', '2026-13-45', '--to', '2026-11-08'], { DATA_DIR: await aDataDir() });
    const time = await runCli(['export', '--report-type', '1', '--from', '2026-02-30T00:00:00Z', '--to', '2026-03-05T00:00:00Z'], { DATA_DIR: await aDataDir() });
    expect([day.code, time.code]).toEqual([2, 2]);
    expect(lines(day.stderr)).toEqual(["kreports export: --from is not a calendar day: '2026-13-45' (YYYY-MM-DD, or an ISO 8601 time)"]);
    expect(lines(time.stderr)).toEqual(["kreports export: --from is not a calendar day: '2026-02-30T00:00:00Z' (YYYY-MM-DD, or an ISO 8601 time)"]);
  });

  it.concurrent.each(COMMANDS)('%s with an unknown flag exits 2 with one line', async (name) => {
    const result = await runCli([name, '--no-such-flag']);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`^kreports ${name}: unknown option --no-such-flag\\. Run: kreports ${name} --help`));
    expect(result.stdout).toBe('');
  });
});

describe('kreports validate-config', () => {
  it.concurrent('accepts the example configuration', async () => {
    const result = await runCli(['validate-config', 'config/reporting.example.yaml', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, rules: 3, schedules: 1 });
  });

  it.concurrent('names the file, the field and the reason of each problem, and exits 2', async () => {
    const dir = await aDataDir();
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'version: 1\nschedules:\n  - name: weekly\n    cron: "0 6 * * 1"\n    timezone: Mars/Olympus\n    jobs:\n      - kind: export\n        name: top\n        source: { type: table, reportType: 1, colour: red }\n');
    const result = await runCli(['validate-config', file]);
    expect(result.code).toBe(2);
    const errors = lines(result.stderr);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    for (const line of errors) expect(line).toContain(file);
    expect(result.stderr).toMatch(/schedules\[0\]\.jobs\[0\]\.source.*colour|schedules\[0\]\.timezone/);
  });

  it.concurrent('accepts csv.formulaGuard on export jobs, and refuses turning it off for a csv-url file (Kaltura guards those itself)', async () => {
    // Prepare
    const dir = await aDataDir();
    const job = (name: string, source: string, guard: string) => `      - { kind: export, name: ${name}, source: ${source}, csv: { formulaGuard: ${guard} } }`;
    const good = join(dir, 'good.yaml');
    const bad = join(dir, 'bad-guard.yaml');
    const head = 'version: 1\nrules:\n  - name: r\n    when: { eventType: 3 }\n    jobs:\n';
    await writeFile(good, head + [job('raw', '{ type: table, reportType: 1 }', 'false'), job('guarded', '{ type: csv-url, reportType: 1, tableHeaders: [a] }', 'true')].join('\n') + '\n');
    await writeFile(bad, head + job('raw', '{ type: csv-url, reportType: 1, tableHeaders: [a] }', 'false') + '\n');
    // Act
    const [accepted, refused] = await Promise.all([runCli(['validate-config', good]), runCli(['validate-config', bad])]);
    // Assess
    expect(accepted.code).toBe(0);
    expect(refused.code).toBe(2);
    expect(lines(refused.stderr)).toEqual([expect.stringMatching(/bad-guard\.yaml: rules\[0\]\.jobs\[0\]\.csv\.formulaGuard: a csv-url file is written by Kaltura/)]);
  });

  it.concurrent('kreports start refuses a bad configuration file with exit 2 and the field', async () => {
    const dir = await aDataDir();
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ version: 1, rules: [{ name: 'r', when: {}, jobs: [{ kind: 'check', name: 'c', reportType: 1, metric: 'count_plays', condition: { op: '!=', value: 1 }, destinations: ['nowhere'] }] }] }));
    const result = await runCli(['start'], { REPORTING_CONFIG: file, DATA_DIR: dir, PORT: '0' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bad\.json: rules\[0\]\.jobs\[0\]\.condition/);
  });

  it.concurrent('kreports start refuses a PORT that is not a port number with exit 2 and one line', async () => {
    const result = await runCli(['start'], { DATA_DIR: await aDataDir(), PORT: 'abc' });
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual(['kreports start: PORT must be a port number 0-65535 (got "abc").']);
  });
});

describe('kreports send-test-webhook', () => {
  let server: Server;
  let url: string;
  const received: Array<{ headers: Record<string, string | string[] | undefined>; body: Buffer }> = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        received.push({ headers: req.headers, body });
        const algo = String(req.headers['x-kaltura-hash-algo'] ?? 'sha1');
        const expected = createHash(algo).update(Buffer.concat([Buffer.from('s3cret-current'), body])).digest('hex');
        res.writeHead(req.headers['x-kaltura-signature'] === expected ? 200 : 401).end(req.headers['x-kaltura-signature'] === expected ? '{"status":"accepted"}' : '{"error":"unauthorized"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/kaltura`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('signs with the first KALTURA_WEBHOOK_SECRETS secret, and exits 0 on 200', async () => {
    const result = await runCli(['send-test-webhook', '--url', url, '--entry', '1_cli', '--algo', 'sha512', '--event-id', '4242001', '--json'], { KALTURA_WEBHOOK_SECRETS: 's3cret-current,s3cret-old' });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 200, entryId: '1_cli', eventNotificationJobId: 4242001 });
    const last = received.at(-1)!;
    expect(last.headers['x-kaltura-hash-algo']).toBe('sha512');
    expect(JSON.parse(last.body.toString('utf8'))).toMatchObject({ object: { id: '1_cli', status: 2 }, eventType: 3, eventObjectType: 1, templateSystemName: 'HTTP_ENTRY_STATUS_EQUALS' });
  });

  it('sends the legacy data= body', async () => {
    const result = await runCli(['send-test-webhook', '--url', url, '--legacy', '--algo', 'sha1'], { KALTURA_WEBHOOK_SECRETS: 's3cret-current' });
    expect(result.code).toBe(0);
    expect(received.at(-1)!.body.toString('utf8')).toMatch(/^data=%7B/);
  });

  it('sends a plugin eventObjectType (virtual event) as a string', async () => {
    const result = await runCli(['send-test-webhook', '--url', url, '--entry', '9001', '--object-type', 'virtualEventEventNotifications.VirtualEvent'], { KALTURA_WEBHOOK_SECRETS: 's3cret-current' });
    expect(result.code).toBe(0);
    expect(JSON.parse(received.at(-1)!.body.toString('utf8'))).toMatchObject({ eventObjectType: 'virtualEventEventNotifications.VirtualEvent', object: { id: '9001' } });
  });

  it('exits 1 when the receiver does not answer 200', async () => {
    const result = await runCli(['send-test-webhook', '--url', url], { KALTURA_WEBHOOK_SECRETS: 'some-other-secret' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^401/);
    expect(lines(result.stderr)).toHaveLength(1);
  });

  it('exits 1 with one line when nothing listens', async () => {
    const result = await runCli(['send-test-webhook', '--url', 'http://127.0.0.1:9/webhooks/kaltura']);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/no answer/);
  });

  it.concurrent('with KALTURA_ADMIN_SECRET set and no Kaltura URL, the simulator, the receiver and send-test-webhook agree on the secret', async () => {
    // Prepare
    const env = { DATA_DIR: await aDataDir(), KALTURA_ADMIN_SECRET: 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5' };
    const stack = await startStack(env);
    try {
      // Act
      const result = await runCli(['send-test-webhook', '--url', stack.webhookUrl, '--json'], env);
      // Assess
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ status: 200 });
    } finally {
      await stack.stop('SIGTERM');
    }
  });

  it.concurrent('exits 2 on a bad --algo', async () => {
    const result = await runCli(['send-test-webhook', '--algo', 'md5']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--algo must be one of sha1, sha256, sha512/);
  });
});

describe('kreports export and schedule run (built-in simulator)', () => {
  it.concurrent('runs an ad-hoc export with plain progress lines when not on a terminal', async () => {
    const dataDir = await aDataDir();
    // `--order -count_plays`: a value starting with a dash, written as the docs write it.
    const result = await runCli(['export', '--report-type', '1', '--from', '2026-11-01', '--to', '2026-11-08', '--filter', 'entryIdIn=1_big_cli', '--order', '-count_plays', '--name', 'big-cli'], { DATA_DIR: dataDir, SIMULATOR_BIG_ROWS: '9000' });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/progress: 4,000 rows, 1 page\(s\)/);
    expect(result.stderr).toMatch(/progress: 9,000 rows, 3 page\(s\)/);
    const key = 'reports/adhoc/big-cli/4242/2026-11-01_2026-11-08';
    expect(result.stdout).toContain(`${key}.csv`);
    const manifest = JSON.parse(await readFile(join(dataDir, 'bucket', `${key}.manifest.json`), 'utf8'));
    expect(manifest.rows).toBe(9000);
    expect(JSON.stringify(manifest)).toContain('"order":"-count_plays"');
  });

  it.concurrent.each([
    { flags: [] as string[], guarded: true },
    { flags: ['--no-formula-guard'], guarded: false },
  ])('an ad-hoc export of an entry named like a formula, with $flags: guarded $guarded', async ({ flags, guarded }) => {
    // Prepare
    const dataDir = await aDataDir();
    // Act
    const result = await runCli(['export', '--report-type', '1', '--window', 'previous-week', '--subject', '1_formula', '--json', ...flags], { DATA_DIR: dataDir });
    // Assess
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.formulaGuard).toBe(guarded);
    const csv = await readFile(join(dataDir, 'bucket', out.key), 'utf8');
    expect(csv).toContain(`,"${guarded ? "'" : ''}=HYPERLINK(""https://evil.example/`);
    expect(JSON.parse(await readFile(join(dataDir, 'bucket', out.manifestKey), 'utf8')).formulaGuard).toBe(guarded);
  });

  it.concurrent('runs a configured rule job for a subject, --json', async () => {
    const dataDir = await aDataDir();
    const result = await runCli(['export', 'entry-ready', '--subject', '1_cli', '--at', '2026-11-20T12:00:00Z', '--json', '--quiet'], { DATA_DIR: dataDir });
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out).toMatchObject({ ok: true, key: 'reports/entry-ready/performance/1_cli/2026-10-22_2026-11-21.csv' });
    expect((await readFile(join(dataDir, 'bucket', out.key))).length).toBe(out.bytes);
  });

  it.concurrent('runs a configured Reports Microservice job: generate, poll, download', async () => {
    const dataDir = await aDataDir();
    const config = join(dataDir, 'ms.yaml');
    await writeFile(config, [
      'version: 1',
      'rules:',
      '  - name: virtual-event',
      '    when: { eventObjectType: virtualEventEventNotifications.VirtualEvent }',
      '    jobs:',
      '      - kind: microservice',
      '        name: chat-activity',
      '        scope: virtual-event',
      '        reportName: chatUserActivity',
      "        reportParameters: { virtual_event_ids: ['{object.id}'] }",
      "        privileges: ['virtualeventid:{object.id}']",
      '        pollInterval: 1s',
    ].join('\n'));
    const result = await runCli(['export', 'virtual-event', '--subject', '777', '--at', '2026-11-20T12:00:00Z', '--json'], { DATA_DIR: dataDir, REPORTING_CONFIG: config, SIMULATOR_MICROSERVICE_MS: '1500' });
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out).toMatchObject({ ok: true, key: 'reports/virtual-event/chat-activity/777/2026-10-21_2026-11-20.csv' });
    expect((await readFile(join(dataDir, 'bucket', out.key))).length).toBe(out.bytes);
  });

  it('writes to S3 when BUCKET_NAME is set (an S3-compatible server on loopback)', async () => {
    const s3 = await startS3('kreports-cli');
    try {
      const result = await runCli(['schedule', 'run', 'weekly-exports', '--at', '2026-11-23T12:00:00Z', '--json'], {
        DATA_DIR: await aDataDir(),
        BUCKET_NAME: s3.bucket,
        AWS_ENDPOINT_URL_S3: s3.endpoint,
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        AWS_REGION: 'us-east-1',
      });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout).location).toBe('s3://kreports-cli/');
      expect(await s3.list('reports/weekly-exports/')).toEqual([
        'reports/weekly-exports/summary/4242/2026-11-16_2026-11-23.csv',
        'reports/weekly-exports/summary/4242/2026-11-16_2026-11-23.manifest.json',
        'reports/weekly-exports/summary/4242/2026-11-16_2026-11-23.summary.html',
        'reports/weekly-exports/top-content/4242/2026-11-16_2026-11-23.csv',
        'reports/weekly-exports/top-content/4242/2026-11-16_2026-11-23.manifest.json',
        'reports/weekly-exports/top-creators-csv/4242/2026-11-16_2026-11-23.csv',
        'reports/weekly-exports/top-creators-csv/4242/2026-11-16_2026-11-23.manifest.json',
      ]);
    } finally {
      await s3.close();
    }
  });

  it.concurrent('exits 2 when an entry-scoped job has no --subject', async () => {
    const result = await runCli(['export', 'entry-ready'], { DATA_DIR: await aDataDir() });
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(/--subject/)]);
  });

  it.concurrent('schedule run weekly-exports writes that week\'s CSVs, and a re-run replaces them', async () => {
    const dataDir = await aDataDir();
    const env = { DATA_DIR: dataDir };
    const at = '2026-11-23T12:00:00Z'; // a Monday: the previous week in New York is Nov 16 - 23
    const first = await runCli(['schedule', 'run', 'weekly-exports', '--at', at, '--json'], env);
    expect(first.code).toBe(0);
    const out = JSON.parse(first.stdout);
    expect(out.jobs.map((j: { key: string; ok: boolean }) => [j.key, j.ok])).toEqual([
      ['reports/weekly-exports/top-content/4242/2026-11-16_2026-11-23.csv', true],
      ['reports/weekly-exports/top-creators-csv/4242/2026-11-16_2026-11-23.csv', true],
      ['reports/weekly-exports/summary/4242/2026-11-16_2026-11-23.csv', true],
    ]);
    expect(out.jobs.find((j: { job: string }) => j.job === 'summary').page).toBe('reports/weekly-exports/summary/4242/2026-11-16_2026-11-23.summary.html');
    const second = await runCli(['schedule', 'run', 'weekly-exports', '--at', at], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/3\/3 job\(s\) done/);
    expect(second.stdout).toMatch(/summary\.html/);
    expect(await readdir(join(dataDir, 'bucket', 'reports', 'weekly-exports', 'top-content', '4242'))).toEqual(['2026-11-16_2026-11-23.csv', '2026-11-16_2026-11-23.manifest.json']);
  });

  it.concurrent('schedule run exits 2 for an unknown schedule', async () => {
    const result = await runCli(['schedule', 'run', 'monthly'], { DATA_DIR: await aDataDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no schedule named 'monthly'; defined: weekly-exports/);
  });
});

describe('kreports replay', () => {
  it.concurrent('lists dead letters and re-queues one by kind and id', async () => {
    const dataDir = await aDataDir();
    const sink = new LocalDeadLetterSink(dataDir);
    const id = await sink.sendWithId({ kind: 'export', body: '{"jobId":"x"}', reason: 'Kaltura said SERVICE_FORBIDDEN', errorName: 'KalturaApiError', failedAt: new Date().toISOString(), attempts: 1 });
    const listed = await runCli(['replay', '--list', '--json'], { DATA_DIR: dataDir });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id, kind: 'export', reason: 'Kaltura said SERVICE_FORBIDDEN' })]);

    const replayed = await runCli(['replay', '--kind', 'export', '--id', id], { DATA_DIR: dataDir });
    expect(replayed.code).toBe(0);
    expect(replayed.stdout).toMatch(/re-queued 1 export job/);
    const queued = await readdir(join(dataDir, 'queues', 'export'));
    expect(queued).toHaveLength(1);
    expect(JSON.parse(await readFile(join(dataDir, 'queues', 'export', queued[0]!), 'utf8')).body).toBe('{"jobId":"x"}');
    expect(await sink.list()).toEqual([]);
  });

  it.concurrent('exits 1 for an unknown dead letter and 2 for a bad kind', async () => {
    const dataDir = await aDataDir();
    const missing = await runCli(['replay', '--kind', 'check', '--id', '123-abc'], { DATA_DIR: dataDir });
    expect(missing.code).toBe(1);
    expect(lines(missing.stderr)).toHaveLength(1);
    const bad = await runCli(['replay', '--kind', 'emails', '--all'], { DATA_DIR: dataDir });
    expect(bad.code).toBe(2);
  });

  it.concurrent('re-runs an archived notification through the rules', async () => {
    const dataDir = await aDataDir();
    await archiveNotification(dataDir, 555001, '1_replayed');
    const result = await runCli(['replay', '--notification', '555001', '--json'], { DATA_DIR: dataDir });
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.replayed[0]).toMatchObject({ eventNotificationJobId: '555001', rules: ['entry-ready'] });
    expect(out.replayed[0].jobs.map((j: { kind: string }) => j.kind).sort()).toEqual(['check', 'export']);
    expect(await readdir(join(dataDir, 'queues', 'export'))).toHaveLength(1);
    expect(await readdir(join(dataDir, 'queues', 'check'))).toHaveLength(1);
  });

  it.concurrent('queues nothing when one of several notifications is not in the archive', async () => {
    const dataDir = await aDataDir();
    await archiveNotification(dataDir, 555003, '1_first');
    const result = await runCli(['replay', '--notification', '555003', '--notification', '999'], { DATA_DIR: dataDir });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([expect.stringContaining('nothing queued: no archived notification 999')]);
    expect(await readdir(join(dataDir, 'queues', 'export')).catch(() => [])).toEqual([]);
  });

  it.concurrent('says which job still cannot be built, and once the rule is fixed queues it and removes its dead letter', async () => {
    // Prepare: an archived notification without categoryId, a rule job that needs it, and the dead letter the receiver wrote.
    const dataDir = await aDataDir();
    await archiveNotification(dataDir, 555002, '1_fixme');
    const ruleWith = (subject: string) => ['version: 1', 'rules:', '  - name: by-category', '    when: { eventType: OBJECT_CHANGED }', '    jobs:', '      - kind: export', '        name: category-plays', '        scope: category', `        subject: '${subject}'`, '        source: { type: table, reportType: 1 }'].join('\n');
    const broken = join(dataDir, 'broken.yaml');
    const fixed = join(dataDir, 'fixed.yaml');
    await writeFile(broken, ruleWith('{object.categoryId}'));
    await writeFile(fixed, ruleWith('{object.partnerId}'));
    const sink = new LocalDeadLetterSink(dataDir);
    await sink.sendWithId({ kind: 'export', body: JSON.stringify({ type: 'unbuildable-job', rule: 'by-category', job: 'category-plays', eventNotificationJobId: '555002', archiveKey: 'archive/notifications/2026/11/20/555002.json' }), reason: 'Placeholder {object.categoryId} …', errorName: 'PlaceholderError', failedAt: new Date().toISOString(), attempts: 1 });
    // Act
    const still = await runCli(['replay', '--notification', '555002', '--json'], { DATA_DIR: dataDir, REPORTING_CONFIG: broken });
    const lettersAfterStill = await sink.list();
    const done = await runCli(['replay', '--notification', '555002'], { DATA_DIR: dataDir, REPORTING_CONFIG: fixed });
    // Assess
    expect(still.code).toBe(0);
    expect(JSON.parse(still.stdout).replayed[0].unresolved).toEqual([expect.objectContaining({ rule: 'by-category', job: 'category-plays', kind: 'export' })]);
    expect(still.stderr).toMatch(/job by-category\/category-plays \(export\) still cannot be built: Placeholder \{object\.categoryId\}/);
    expect(lettersAfterStill).toHaveLength(1);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/notification 555002: 1 job\(s\) queued/);
    expect(done.stdout).toMatch(/removed the dead letter\(s\) of the jobs now queued: export\//);
    expect(await sink.list()).toEqual([]);
    expect(await readdir(join(dataDir, 'queues', 'export'))).toHaveLength(1);
  });
});

describe('kreports setup-webhook and doctor (against the simulator)', () => {
  let simulator: Simulator;
  let env: Record<string, string>;
  beforeAll(async () => {
    simulator = await startSimulator();
    env = { KALTURA_SERVICE_URL: simulator.serviceUrl, KALTURA_PARTNER_ID: String(simulator.partnerId), KALTURA_ADMIN_SECRET: simulator.adminSecret };
  });
  afterAll(() => simulator.close());

  it('clones, configures and activates the entry-ready and live-stream templates, idempotently', async () => {
    simulator.clearRequests();
    const first = await runCli(['setup-webhook', '--url', 'https://hooks.example.com/webhooks/kaltura', '--json'], env);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).templates.map((t: { systemName: string; action: string }) => [t.systemName, t.action])).toEqual([
      ['KREPORTS_ENTRY_READY', 'created'],
      ['KREPORTS_LIVE_STREAM', 'created'],
    ]);
    const clones = simulator.requests.filter((r) => r.action.toLowerCase() === 'clone');
    expect(clones).toHaveLength(2);
    const templates = await Promise.all(JSON.parse(first.stdout).templates.map(async (t: { id: number }) => {
      const response = await fetch(`${simulator.serviceUrl}/service/eventnotification_eventnotificationtemplate/action/get`, { method: 'POST', body: new URLSearchParams({ format: '1', id: String(t.id), ks: await ksFor(simulator) }) });
      return (await response.json()) as Record<string, unknown>;
    }));
    for (const t of templates) {
      expect(t).toMatchObject({ url: 'https://hooks.example.com/webhooks/kaltura', method: 2, status: 2, secureHashingAlgo: 2, data: { objectType: 'KalturaHttpNotificationObjectData', format: expect.anything() } });
    }

    const again = await runCli(['setup-webhook', '--url', 'https://hooks.example.com/webhooks/kaltura', '--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).templates.map((t: { action: string }) => t.action)).toEqual(['unchanged', 'unchanged']);
    const moved = await runCli(['setup-webhook', '--url', 'https://new.example.com/webhooks/kaltura'], env);
    expect(moved.code).toBe(0);
    expect(moved.stdout).toMatch(/^updated KREPORTS_ENTRY_READY/m);
    expect(simulator.requests.filter((r) => r.action.toLowerCase() === 'clone')).toHaveLength(2);
  });

  it('exits 2 without a Kaltura account configured, 2 without --url', async () => {
    expect((await runCli(['setup-webhook', '--url', 'https://x.example.com/h'])).code).toBe(2);
    const noUrl = await runCli(['setup-webhook'], env);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/--url is required/);
  });

  it('doctor passes every check against a working account', async () => {
    const result = await runCli(['doctor', '--json'], env);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.ok).toBe(true);
    expect(out.checks.map((c: { name: string }) => c.name)).toEqual(['configuration', 'settings', 'session', 'analytics', 'entries', 'live', 'templates', 'webhook secret']);
  });

  it.each([
    ['the bare host', (origin: string) => origin],
    ['the bare host and /', (origin: string) => `${origin}/`],
    ['/api_v3/', (origin: string) => `${origin}/api_v3/`],
  ])('doctor passes with KALTURA_SERVICE_URL given as %s, and prints the URL it uses', async (_label, form) => {
    // Prepare
    const origin = new URL(simulator.serviceUrl).origin;
    // Act
    const result = await runCli(['doctor'], { ...env, KALTURA_SERVICE_URL: form(origin) });
    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`ok   settings: partner ${simulator.partnerId} at ${origin}/api_v3, session via admin secret`);
  });

  it('kreports start with KALTURA_SERVICE_URL as the bare host prints the URL it uses', async () => {
    // Prepare
    const origin = new URL(simulator.serviceUrl).origin;
    // Act
    const stack = await startStack({ ...env, KALTURA_SERVICE_URL: `${origin}/`, DATA_DIR: await aDataDir() });
    await waitFor('the whole banner', () => stack.stdout().includes('Stop with Ctrl-C'));
    const code = await stack.stop();
    // Assess
    expect(stack.stdout()).toMatch(new RegExp(`^  Kaltura: +${origin.replace(/[.]/g, '\\.')}/api_v3, partner id ${simulator.partnerId}$`, 'm'));
    expect(code).toBe(0);
  });

  it('doctor says analytics permission is missing when Kaltura forbids the report service', async () => {
    simulator.injectFault({ kind: 'api-error', code: 'SERVICE_FORBIDDEN', args: { SERVICE: 'report->getTotal' }, times: 5, match: { service: 'report' } });
    const result = await runCli(['doctor'], env);
    simulator.clearFaults();
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^FAIL analytics: this session may not read analytics reports/m);
    expect(result.stdout).toMatch(/^ok   session/m);
  });

  it('doctor says the credentials are wrong', async () => {
    const result = await runCli(['doctor'], { ...env, KALTURA_ADMIN_SECRET: '0123456789abcdef0123456789abcdef' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^FAIL session: Kaltura refused the credentials/m);
  });

  it('doctor exits 2 and says what to set when nothing is configured', async () => {
    const result = await runCli(['doctor']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/KALTURA_SERVICE_URL is not set/);
  });
});

async function ksFor(simulator: Simulator): Promise<string> {
  const response = await fetch(`${simulator.serviceUrl}/service/session/action/start`, { method: 'POST', body: new URLSearchParams({ format: '1', secret: simulator.adminSecret, partnerId: String(simulator.partnerId), type: '2' }) });
  return (await response.json()) as string;
}
