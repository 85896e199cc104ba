import { parseCommandArgs } from '../args.js';
import { EXIT_OK, UsageError } from '../errors.js';
import type { Command } from './types.js';
import type { KalturaApi, NotificationTemplate } from '../../shared/kaltura/kaltura-api.js';

const options = { url: { type: 'string' }, algo: { type: 'string' }, 'entry-only': { type: 'boolean' }, json: { type: 'boolean' } } as const;

/** What we register: a clone of each system template, named so a re-run finds it again. */
export const WEBHOOK_TEMPLATES = [
  { purpose: 'entry ready', source: 'HTTP_ENTRY_STATUS_EQUALS', systemName: 'KREPORTS_ENTRY_READY', name: 'kaltura-reporting: entry ready', apiObjectType: 'KalturaBaseEntry' },
  { purpose: 'live stream', source: 'EXPLICIT_LIVE_PUSH_NOTIFICATIONS', systemName: 'KREPORTS_LIVE_STREAM', name: 'kaltura-reporting: live stream', apiObjectType: 'KalturaLiveStreamEntry' },
] as const;

/** Kaltura's SecureHashingAlgo enum (WIRE_FACTS §6.1): 1 sha1, 2 sha256, 3 sha512. */
const ALGO_ENUM = { sha1: 1, sha256: 2, sha512: 3 } as const;
const TEMPLATE_ACTIVE = 2;

export type SetupAction = 'created' | 'updated' | 'activated' | 'unchanged';

export async function setupWebhookTemplates(api: KalturaApi, url: string, algo: keyof typeof ALGO_ENUM, templates: ReadonlyArray<(typeof WEBHOOK_TEMPLATES)[number]>): Promise<Array<{ purpose: string; systemName: string; id: number; action: SetupAction }>> {
  const results: Array<{ purpose: string; systemName: string; id: number; action: SetupAction }> = [];
  for (const t of templates) {
    const settings = {
      url,
      method: 2, // POST
      secureHashingAlgo: ALGO_ENUM[algo],
      data: { objectType: 'KalturaHttpNotificationObjectData', format: 1, apiObjectType: t.apiObjectType },
    };
    const existing = (await api.listNotificationTemplates({ systemNameEqual: t.systemName, partnerIdEqual: api.partnerId })).find((x) => x.systemName === t.systemName && x.status !== 3);
    let template: NotificationTemplate;
    let action: SetupAction;
    if (existing) {
      if (existing.url !== url) {
        template = (await api.call('eventnotification_eventnotificationtemplate', 'update', { id: existing.id, eventNotificationTemplate: { objectType: 'KalturaHttpNotificationTemplate', ...settings } })) as NotificationTemplate;
        template = { ...existing, ...template, id: existing.id };
        action = 'updated';
      } else {
        template = existing;
        action = 'unchanged';
      }
    } else {
      const system = (await api.listNotificationTemplates({ systemNameEqual: t.source, partnerIdEqual: 0 })).find((x) => x.systemName === t.source);
      if (!system) throw new Error(`Kaltura has no system notification template ${t.source} for this partner: ask Kaltura to enable the Event Notifications plugin (EVENTNOTIFICATION_PLUGIN_PERMISSION).`);
      template = await api.cloneNotificationTemplate(system.id, { name: t.name, systemName: t.systemName, description: `Sends ${t.purpose} notifications to kaltura-reporting (kreports setup-webhook).`, ...settings });
      action = 'created';
    }
    if (Number(template.status) !== TEMPLATE_ACTIVE) {
      await api.updateNotificationTemplateStatus(template.id, 'active');
      if (action === 'unchanged') action = 'activated';
    }
    results.push({ purpose: t.purpose, systemName: t.systemName, id: template.id, action });
  }
  return results;
}

export const setupWebhookCommand: Command = {
  name: 'setup-webhook',
  summary: 'register (clone and activate) the Kaltura notification templates that point at a URL',
  help: `Usage: kreports setup-webhook --url U [--algo sha1|sha256|sha512] [--entry-only] [--json]

Registers the webhook on the Kaltura account of KALTURA_SERVICE_URL / KALTURA_PARTNER_ID (credentials
as for every command: KALTURA_ADMIN_SECRET, or KALTURA_APP_TOKEN_ID + KALTURA_APP_TOKEN):
  - clones the system template HTTP_ENTRY_STATUS_EQUALS (entry status equals READY) as KREPORTS_ENTRY_READY,
  - clones EXPLICIT_LIVE_PUSH_NOTIFICATIONS (live streams) as KREPORTS_LIVE_STREAM,
each with URL U, POST, a JSON object payload (KalturaHttpNotificationObjectData, format 1) and the
signature algorithm, then activates it. Kaltura signs with the partner's admin secret: the receiver must
accept it (KALTURA_WEBHOOK_SECRETS, or the admin secret by default).

Idempotent: a template registered before is found by its system name; it is left alone when it already
points at U (re-activated if disabled) and updated when U changed. Never creates a second copy.

Options:
  --url U        the receiver URL, e.g. the stack's WebhookUrl output (https://.../webhooks/kaltura)
  --algo A       X-KALTURA-SIGNATURE algorithm: sha256 (default), sha512 or sha1
  --entry-only   register the entry-ready template only
  --json         print what was done as JSON
  -h, --help     show this help

Exit codes: 0 registered, 1 Kaltura refused, 2 usage or configuration error.`,
  async run(args, io) {
    const { values, help } = parseCommandArgs('setup-webhook', args, options);
    if (help) return io.out(this.help), EXIT_OK;
    if (!values.url) throw new UsageError('--url is required (the receiver URL Kaltura should call)');
    let parsed: URL;
    try {
      parsed = new URL(values.url);
    } catch {
      throw new UsageError('--url must be an absolute http(s) URL such as https://example.com/webhooks/kaltura');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new UsageError('--url must be an http(s) URL');
    const algo = (values.algo ?? 'sha256') as keyof typeof ALGO_ENUM;
    if (!(algo in ALGO_ENUM)) throw new UsageError(`--algo must be sha1, sha256 or sha512 (got '${values.algo}')`);
    if (!io.env.KALTURA_SERVICE_URL) throw new UsageError('KALTURA_SERVICE_URL is not set: setup-webhook registers the template on a Kaltura account; set KALTURA_SERVICE_URL, KALTURA_PARTNER_ID and KALTURA_ADMIN_SECRET (or an app token)');
    const loopback = (host: string) => /^(localhost|127\.|\[::1\])/.test(host);
    if (loopback(parsed.hostname) && !loopback(new URL(io.env.KALTURA_SERVICE_URL).hostname)) io.err('kreports setup-webhook: warning: the URL is on this machine; Kaltura cannot reach it (use a public URL or a tunnel).');

    const { createKalturaClient, kalturaClientOptionsFromEnv } = await import('../../shared/kaltura/kaltura-client.js');
    const client = createKalturaClient(kalturaClientOptionsFromEnv(io.env));
    try {
      const templates = values['entry-only'] ? WEBHOOK_TEMPLATES.slice(0, 1) : WEBHOOK_TEMPLATES;
      const results = await setupWebhookTemplates(client, values.url, algo, templates);
      if (values.json) io.out(JSON.stringify({ partnerId: client.partnerId, algo, templates: results }));
      else {
        for (const r of results) io.out(`${r.action} ${r.systemName} (template id ${r.id}, ${r.purpose}): active, POST JSON to the given URL, signed ${algo}`);
        io.out(`done: Kaltura now sends ${results.map((r) => r.purpose).join(' and ')} notifications to the receiver.`);
      }
      return EXIT_OK;
    } finally {
      await client.close();
    }
  },
};
