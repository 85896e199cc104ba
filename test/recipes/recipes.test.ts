/**
 * Every seed workflow (§15.1-15.17) has a recipe in config/recipes/, listed in its README table; each
 * recipe validates and runs end to end against the simulator (in process: `runJobsInProcess`, as
 * `kreports schedule run` does), and every job's outputs exist and are not empty. The recipes
 * that need the multi-account, enrichment and accessibility capabilities are checked for the
 * columns (and rows) those produce.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../exports/helpers.js';
import { loadConfigFile, validateConfig } from '../../shared/config/load-config.js';
import { outputKeys } from '../../shared/exports/output-keys.js';
import { summaryPageKey } from '../../shared/exports/summary.js';
import { DEFAULT_ENTRY_IDS } from '../../simulator/synthetic.js';
import { hasCaptions } from '../../simulator/directory-actions.js';
import { childPartnerIds } from '../../simulator/reports.js';
import { ROOT } from '../cli/helpers.js';
import { runRecipe, startRecipeEnv, type RecipeEnv, type RecipeRun } from './run-recipe.js';

const RECIPES = join(ROOT, 'config', 'recipes');
const WORKFLOWS = Array.from({ length: 17 }, (_, i) => `15.${i + 1}`);

async function recipeFiles(): Promise<string[]> {
  return (await readdir(RECIPES)).filter((f) => f.endsWith('.yaml')).sort();
}

function csvRows(bytes: Buffer | undefined): string[][] {
  return parseCsv((bytes ?? Buffer.alloc(0)).toString('utf8').replace(/^\uFEFF/, ''));
}

describe('the recipe catalogue', () => {
  it('lists one recipe per workflow 15.1-15.17 in the README table, and every file is listed', async () => {
    // Prepare
    const readme = await readFile(join(RECIPES, 'README.md'), 'utf8');
    const files = await recipeFiles();
    // Act
    const rows = [...readme.matchAll(/^\| (15\.\d+) \|[^|]*\| \[([^\]]+\.yaml)\]\(\2\) \|/gm)].map((m) => ({ workflow: m[1]!, file: m[2]! }));
    // Assess
    expect(rows.map((r) => r.workflow)).toEqual(WORKFLOWS);
    expect(rows.map((r) => r.file).sort()).toEqual(files);
  });

  it('gives every recipe a header comment that says what it answers, reports, permissions, outputs and alerts', async () => {
    for (const file of await recipeFiles()) {
      const text = await readFile(join(RECIPES, file), 'utf8');
      const header = text.slice(0, text.indexOf('\nversion:'));
      expect(header, file).toMatch(/^# Recipe 15\.\d+ — /);
      for (const part of ['Answers:', 'Reports', 'Permissions:', 'Lands in S3:', 'Alerts:']) expect(header, `${file}: ${part}`).toContain(part);
    }
  });

  it('validates every recipe as `kreports validate-config` does', async () => {
    for (const file of await recipeFiles()) {
      const config = await loadConfigFile(join(RECIPES, file));
      expect(config.rules.length + config.schedules.length, file).toBeGreaterThan(0);
    }
  });
});

describe('each recipe end to end against the simulator', () => {
  let env: RecipeEnv;
  const runs = new Map<string, RecipeRun & { cleanup(): Promise<void> }>();

  beforeAll(async () => {
    env = await startRecipeEnv();
  });
  afterAll(async () => {
    for (const run of runs.values()) await run.cleanup();
    await env?.close();
  });

  async function run(file: string) {
    let r = runs.get(file);
    if (!r) {
      r = await runRecipe(env, join(RECIPES, file));
      runs.set(file, r);
    }
    return r;
  }

  const files = ['01-event-roi-dashboard.yaml', '02-content-performance.yaml', '03-live-operations.yaml', '04-compliance-training.yaml', '05-per-user-event-engagement.yaml', '06-multi-account.yaml', '07-bi-pipeline.yaml', '08-geographic.yaml', '09-devices.yaml', '10-accessibility-coverage.yaml', '11-lecture-capture-lms.yaml', '12-investor-relations-webcast.yaml', '13-thumbnail-ab-testing.yaml', '14-webhook-triggered-reporting.yaml', '15-full-event-lifecycle.yaml', '16-content-automation-pipeline.yaml', '17-crm-integration.yaml'];

  it('covers every recipe file', async () => {
    expect(files).toEqual(await recipeFiles());
  });

  for (const file of files) {
    it(`${file}: every job succeeds and writes non-empty outputs`, async () => {
      // Act
      const r = await run(file);
      // Assess
      expect(r.failures, JSON.stringify(r.failures)).toEqual([]);
      expect(r.messages.length).toBeGreaterThan(0);
      const prefix = r.config.output.prefix;
      for (const m of r.messages) {
        if (m.spec.kind === 'export' || m.spec.kind === 'microservice') {
          const keys = outputKeys(prefix, m);
          const csv = r.objects.get(keys.data);
          expect(csv, keys.data).toBeDefined();
          const lines = csv!.toString('utf8').split('\n').filter((l) => l.trim() !== '');
          expect(lines.length, `${keys.data} has a header and rows`).toBeGreaterThan(1);
          const manifest = JSON.parse(r.objects.get(keys.manifest)?.toString('utf8') ?? 'null') as { rows: number } | null;
          expect(manifest?.rows, keys.manifest).toBeGreaterThan(0);
          if (m.spec.kind === 'export' && m.spec.source.type === 'summary') {
            const page = r.objects.get(summaryPageKey(prefix, m))?.toString('utf8') ?? '';
            expect(page).toContain('<svg');
          }
        }
      }
      if (r.messages.some((m) => m.spec.kind === 'live-health')) {
        // The simulator's `unhealthy` stream fires the health alert at the recipe's destinations.
        const sent = [...r.teams.requests, ...r.slack.requests].map((q) => q.body);
        expect(sent.some((b) => b.includes('1_unhealthy_live') && b.includes('FIRING'))).toBe(true);
      }
    }, 120_000);
  }

  it('15.6 multi-account: partner-level reports have a row per child partner, and per-child exports are keyed and scoped by partner', async () => {
    // Act
    const r = await run('06-multi-account.yaml');
    // Assess
    const children = childPartnerIds(env.sim.partnerId).map(String);
    const byAccount = csvRows(r.objects.get(outputKeys(r.config.output.prefix, r.messages.find((m) => m.spec.name === 'engagement-by-account')!).data));
    expect(byAccount[0]).toEqual(['partner_id', 'count_plays', 'sum_time_viewed', 'count_loads']);
    expect(byAccount.slice(1).map((row) => row[0]).sort()).toEqual(children);
    const usage = csvRows(r.objects.get(outputKeys(r.config.output.prefix, r.messages.find((m) => m.spec.name === 'usage-by-account')!).data));
    expect(usage[0]).toEqual(['partner_id', 'bandwidth_consumption', 'average_storage', 'combined_bandwidth_storage']);
    const aggregate = csvRows(r.objects.get(outputKeys(r.config.output.prefix, r.messages.find((m) => m.spec.name === 'dropoff-all-accounts')!).data));
    expect(aggregate[0]).toEqual(['object_id', 'entry_name', 'count_plays', 'count_plays_25', 'count_plays_50', 'count_plays_75', 'count_plays_100', 'play_through_ratio']);
    for (const child of children) {
      const key = `reports/accounts-per-child/usage/${child}/2026-11-16_2026-11-23.csv`;
      const rows = csvRows(r.objects.get(key));
      expect(rows.slice(1).map((row) => row[0]), key).toEqual([child]);
    }
    const requests = env.sim.requests.filter((q) => q.action.toLowerCase() === 'gettable' && String(q.params.reportType) === '201');
    expect(requests.map((q) => q.params.objectIds).filter(Boolean).sort()).toEqual(expect.arrayContaining(children));
  });

  it('15.4 enrichment: the per-user export carries user metadata joined by the project, 3007 the server-side enrichment', async () => {
    // Act
    const r = await run('04-compliance-training.yaml');
    // Assess
    const learners = csvRows(r.objects.get(outputKeys(r.config.output.prefix, r.messages.find((m) => m.spec.name === 'learners')!).data));
    const header = learners[0]!;
    expect(header).toEqual(['name', 'full_name', 'count_plays', 'sum_time_viewed', 'avg_time_viewed', 'avg_view_drop_off', 'count_loads', 'load_play_ratio', 'user.firstName', 'user.lastName', 'user.email', 'user.company', 'user.title']);
    expect(learners.length).toBeGreaterThan(1);
    for (const row of learners.slice(1)) {
      expect(row[header.indexOf('user.email')]).toBe(row[0]);
      expect(row[header.indexOf('user.firstName')]).not.toBe('');
      expect(row[header.indexOf('user.company')]).not.toBe('');
    }
    const server = csvRows(r.objects.get(outputKeys(r.config.output.prefix, r.messages.find((m) => m.spec.name === 'viewership-enriched')!).data));
    expect(server[0]).toEqual(expect.arrayContaining(['user_id', 'email', 'first_name', 'last_name', 'company']));
  });

  it('15.10 accessibility: exactly the entries without captions, most played first', async () => {
    // Act
    const r = await run('10-accessibility-coverage.yaml');
    // Assess
    const rows = csvRows(r.objects.get(outputKeys(r.config.output.prefix, r.messages.find((m) => m.spec.name === 'uncaptioned')!).data));
    const header = rows[0]!;
    expect(header.slice(0, 3)).toEqual(['object_id', 'entry_name', 'creator_name']);
    const ids = rows.slice(1).map((row) => row[0]);
    expect([...ids].sort()).toEqual(DEFAULT_ENTRY_IDS.filter((id) => !hasCaptions(id)).sort());
    const plays = rows.slice(1).map((row) => Number(row[header.indexOf('count_plays')]));
    expect(plays).toEqual([...plays].sort((a, b) => b - a));
    expect(plays[0]).toBeGreaterThan(0);
  });

  it('15.1 summary: the Slack headline carries the CSV totals and the page key', async () => {
    // Prepare
    env.slack.requests.length = 0;
    await runs.get('01-event-roi-dashboard.yaml')?.cleanup();
    runs.delete('01-event-roi-dashboard.yaml');
    // Act
    const r = await run('01-event-roi-dashboard.yaml');
    // Assess
    const message = r.messages.find((m) => m.spec.name === 'summary')!;
    const rows = csvRows(r.objects.get(outputKeys(r.config.output.prefix, message).data));
    const totals = rows.filter((row) => row[0] === 'total');
    expect(totals.map((t) => t[3])).toEqual(['count_plays', 'unique_known_users', 'sum_time_viewed']);
    const posted = r.slack.requests.map((q) => q.json<{ text: string }>().text).find((t) => t.includes('[SUMMARY]'));
    expect(posted).toBeDefined();
    for (const t of totals) expect(posted).toContain(`${t[3]} ${t[4]} (`);
    const blocks = JSON.stringify(r.slack.requests.map((q) => q.json()));
    expect(blocks).toContain(summaryPageKey(r.config.output.prefix, message));
  });
});

describe('multi-account configuration', () => {
  it('refuses a partnerIdIn filter and says to use scope child-partner', async () => {
    // Prepare
    const raw = {
      version: 1,
      schedules: [{ name: 'accounts', cron: '0 5 * * 1', timezone: 'UTC', jobs: [{ kind: 'export', name: 'usage', scope: 'partner', source: { type: 'table', reportType: 201, filter: { partnerIdIn: '424201' } } }] }],
    };
    // Act
    const attempt = () => validateConfig(raw, 'mine.yaml');
    // Assess
    expect(attempt).toThrow(/mine\.yaml: schedules\[0\]\.jobs\[0\]\.source\.filter\.partnerIdIn: partnerIdIn is not a report filter field .*scope: child-partner/);
  });
});
