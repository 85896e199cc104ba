import { parseCommandArgs } from '../args.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from '../errors.js';
import { loadConfiguration } from '../runtime.js';
import type { Command } from './types.js';
import type { KalturaApiError as KalturaApiErrorType } from '../../shared/kaltura/errors.js';
import { ValidationError } from '../../shared/errors/base-error.js';

const options = { json: { type: 'boolean' } } as const;

interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const CREDENTIAL_CODES = new Set(['INVALID_KS', 'START_SESSION_ERROR', 'INVALID_PARTNER_ID', 'PARTNER_NOT_FOUND', 'SERVICE_ACCESS_CONTROL_RESTRICTED', 'INVALID_APP_TOKEN_ID', 'APP_TOKEN_ID_NOT_FOUND', 'INVALID_APP_TOKEN_HASH', 'INVALID_SIGNATURE', 'ADMIN_KUSER_NOT_FOUND']);

function describeFailure(KalturaApiError: typeof KalturaApiErrorType, error: unknown): { code: string; text: string } {
  if (error instanceof KalturaApiError) return { code: error.code, text: error.code };
  const e = error as Error & { code?: string };
  return { code: e.code ?? e.name ?? 'Error', text: `${e.name}: ${e.message.split('\n')[0]}` };
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check Kaltura credentials, analytics permissions and settings; say what is missing',
  help: `Usage: kreports doctor [--json]

Checks the configured Kaltura account (KALTURA_SERVICE_URL, KALTURA_PARTNER_ID, KALTURA_ADMIN_SECRET or
KALTURA_APP_TOKEN_ID + KALTURA_APP_TOKEN) the way the pipeline uses it, and says what is missing.
KALTURA_SERVICE_URL may be the bare host (https://www.kaltura.com) or end in /api_v3; the settings line
shows the URL the client calls.
  configuration   REPORTING_CONFIG (or the example) validates
  session         the credentials give a working KS
  analytics       report.getTotal and report.getTable are allowed (checks, exports)
  entries         baseEntry.get is allowed (entry names in alerts)
  live            beacon.list and liveReports.getEvents are allowed (live stream health)
  templates       event notification templates can be listed (setup-webhook)
  webhook secret  the receiver can verify Kaltura's signatures

Options:
  --json      print the checks as JSON
  -h, --help  show this help

Exit codes: 0 all checks pass, 1 some check failed, 2 the settings are missing or invalid.`,
  async run(args, io) {
    const { values, help } = parseCommandArgs('doctor', args, options);
    if (help) return io.out(this.help), EXIT_OK;
    const checks: Check[] = [];
    const print = (code: number) => {
      if (values.json) io.out(JSON.stringify({ ok: code === EXIT_OK, checks }));
      else for (const c of checks) (c.ok ? io.out : io.err)(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
      return code;
    };

    try {
      const { config, path } = await loadConfiguration(io.env, io.cwd);
      checks.push({ name: 'configuration', ok: true, detail: `${path} is valid (${config.rules.length} rules, ${config.schedules.length} schedules)` });
    } catch (error) {
      const lines = error instanceof ValidationError && error.details.length > 0 ? error.details : [(error as Error).message];
      checks.push({ name: 'configuration', ok: false, detail: `${lines.join('; ')} (fix it, then kreports validate-config)` });
    }

    if (!io.env.KALTURA_SERVICE_URL) {
      checks.push({ name: 'settings', ok: false, detail: 'KALTURA_SERVICE_URL is not set (npm start then uses the built-in simulator). To use your account set KALTURA_SERVICE_URL (e.g. https://www.kaltura.com), KALTURA_PARTNER_ID and KALTURA_ADMIN_SECRET, or KALTURA_APP_TOKEN_ID + KALTURA_APP_TOKEN' });
      return print(EXIT_USAGE);
    }
    const { createKalturaClient, kalturaClientOptionsFromEnv } = await import('../../shared/kaltura/kaltura-client.js');
    const { KalturaApiError } = await import('../../shared/kaltura/errors.js');
    let clientOptions;
    try {
      clientOptions = kalturaClientOptionsFromEnv(io.env);
    } catch (error) {
      const lines = error instanceof ValidationError && error.details.length > 0 ? error.details : [(error as Error).message];
      checks.push({ name: 'settings', ok: false, detail: lines.join('; ') });
      return print(EXIT_USAGE);
    }
    checks.push({ name: 'settings', ok: true, detail: `partner ${clientOptions.partnerId} at ${clientOptions.serviceUrl}, session via ${clientOptions.appToken ? 'app token' : 'admin secret'}` });
    const client = createKalturaClient({ ...clientOptions, maxRetries: 1, timeoutMs: Math.min(clientOptions.timeoutMs ?? 15_000, 15_000) });
    try {
      let sessionOk = true;
      try {
        await client.call('session', 'get', {});
        checks.push({ name: 'session', ok: true, detail: 'the credentials give a working KS' });
      } catch (error) {
        const f = describeFailure(KalturaApiError, error);
        sessionOk = false;
        checks.push({
          name: 'session',
          ok: false,
          detail: CREDENTIAL_CODES.has(f.code) || f.code.startsWith('APP_TOKEN') || f.code.startsWith('INVALID_')
            ? `Kaltura refused the credentials (${f.text}): check KALTURA_PARTNER_ID and KALTURA_ADMIN_SECRET (or the app token id, token and KALTURA_APP_TOKEN_HASH_TYPE)`
            : `could not reach Kaltura or start a session (${f.text}): check KALTURA_SERVICE_URL and the network`,
        });
      }
      if (sessionOk) {
        const now = Math.floor(Date.now() / 1000);
        const filter = { fromDate: now - 86400, toDate: now };
        const probe = async (name: string, fn: () => Promise<unknown>, okText: string, missing: string) => {
          try {
            await fn();
            checks.push({ name, ok: true, detail: okText });
          } catch (error) {
            const f = describeFailure(KalturaApiError, error);
            const forbidden = f.code === 'SERVICE_FORBIDDEN' || f.code === 'SERVICE_ACCESS_CONTROL_RESTRICTED';
            checks.push({ name, ok: false, detail: forbidden ? `${missing} (Kaltura answered ${f.code})` : `failed with ${f.text}` });
          }
        };
        await probe('analytics', async () => {
          await client.getTotal({ reportType: 1, filter });
          await client.getTable({ reportType: 1, filter, pageSize: 1, pageIndex: 1 });
        }, 'report.getTotal and report.getTable are allowed', 'this session may not read analytics reports: its role lacks ANALYTICS_BASE (permission 1085). Add it to the role of the app token or user, or ask your Kaltura account manager to enable Analytics for the partner');
        await probe('entries', () => client.getEntry('0_kreportsdoctor'), 'baseEntry.get is allowed', 'alerts cannot show entry names: allow baseEntry.get (content read) for this session');
        await probe('live', async () => {
          await client.listHealthBeacons({ entryIds: ['0_kreportsdoctor'], since: now - 60 });
          await client.getLiveAudience({ entryId: '0_kreportsdoctor', fromTime: now - 60, toTime: now });
        }, 'beacon.list and liveReports.getEvents are allowed', 'live stream health watches need beacon.list and liveReports.getEvents: the role needs FEATURE_LIVE_STREAM (permission 1104) alongside ANALYTICS_BASE');
        await probe('templates', () => client.listNotificationTemplates({ partnerIdEqual: clientOptions.partnerId }), 'event notification templates are accessible', 'kreports setup-webhook needs the Event Notifications plugin (EVENTNOTIFICATION_PLUGIN_PERMISSION): ask Kaltura to enable it');
      }
      const webhookSecrets = (io.env.KALTURA_WEBHOOK_SECRETS ?? '').split(',').filter((s) => s.trim());
      if (webhookSecrets.length > 0) checks.push({ name: 'webhook secret', ok: true, detail: `${webhookSecrets.length} secret(s) from KALTURA_WEBHOOK_SECRETS` });
      else if (clientOptions.adminSecret) checks.push({ name: 'webhook secret', ok: true, detail: 'notifications are verified with the admin secret (what Kaltura signs with)' });
      else checks.push({ name: 'webhook secret', ok: false, detail: 'Kaltura signs notifications with the partner admin secret, and only an app token is set: put the admin secret in KALTURA_WEBHOOK_SECRETS' });
    } finally {
      await client.close();
    }
    return print(checks.every((c) => c.ok) ? EXIT_OK : EXIT_FAILED);
  },
};
