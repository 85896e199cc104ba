import { parseCommandArgs } from '../args.js';
import { dataDirOf, readLocalStackInfo } from '../runtime.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../errors.js';
import type { Command } from './types.js';

const options = {
  url: { type: 'string' },
  entry: { type: 'string' },
  algo: { type: 'string' },
  legacy: { type: 'boolean' },
  live: { type: 'boolean' },
  'object-type': { type: 'string' },
  'event-id': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const ALGOS = ['sha1', 'sha256', 'sha512'] as const;

/** Where the running local stack listens: PORT if set, else what `kreports start` recorded for DATA_DIR, else port 3000. */
export function defaultWebhookUrl(env: NodeJS.ProcessEnv, cwd: string): string {
  if (env.PORT && env.PORT !== '0') return `http://127.0.0.1:${env.PORT}/webhooks/kaltura`;
  const running = readLocalStackInfo(dataDirOf(env, cwd));
  return running?.webhookUrl ?? 'http://127.0.0.1:3000/webhooks/kaltura';
}

export const sendTestWebhookCommand: Command = {
  name: 'send-test-webhook',
  summary: 'send a correctly signed sample Kaltura notification',
  help: `Usage: kreports send-test-webhook [--url U] [--entry ID] [--algo sha1|sha256|sha512] [--legacy] [--live] [--object-type T] [--event-id N] [--json]

Sends one Kaltura HTTP event notification, built and signed exactly as Kaltura does
(X-KALTURA-SIGNATURE = hex(hash(secret + body)), X-KALTURA-HASH-ALGO), to the receiver.
By default an "entry ready" notification (HTTP_ENTRY_STATUS_EQUALS, OBJECT_CHANGED on ENTRY, status 2).

The secret is the first of KALTURA_WEBHOOK_SECRETS, else KALTURA_ADMIN_SECRET, else the built-in
simulator's admin secret (what "npm start" accepts without a Kaltura account).

Options:
  --url U        receiver URL (default http://127.0.0.1:$PORT/webhooks/kaltura; without PORT the running
                 "kreports start" of DATA_DIR, else port 3000)
  --entry ID     entry id (default 1_demo). Simulator scenarios: ids containing quiet, unhealthy, big
  --algo A       sha1, sha256 (default) or sha512
  --legacy       legacy body: data=<url-encoded JSON>
  --live         a live-stream notification (EXPLICIT_LIVE_PUSH_NOTIFICATIONS, LIVE_STREAM)
  --object-type T  eventObjectType: a number (1 ENTRY, 38 LIVE_STREAM...) or a plugin string such as
                 virtualEventEventNotifications.VirtualEvent (the example's virtual-event rule)
  --event-id N   eventNotificationJobId (send the same N twice to see duplicates ignored)
  --json         print {status, body, entryId, eventNotificationJobId} as JSON
  -h, --help     show this help

Exit codes: 0 the receiver answered 200/204, 1 any other answer or no answer, 2 usage error.`,
  async run(args, io) {
    const { values, help } = parseCommandArgs('send-test-webhook', args, options);
    if (help) return io.out(this.help), EXIT_OK;
    const algo = (values.algo ?? 'sha256') as (typeof ALGOS)[number];
    if (!ALGOS.includes(algo)) throw new UsageError(`--algo must be one of ${ALGOS.join(', ')} (got '${values.algo}')`);
    const url = values.url ?? defaultWebhookUrl(io.env, io.cwd);
    try {
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
    } catch {
      throw new UsageError('--url must be an http(s) URL such as http://127.0.0.1:3000/webhooks/kaltura');
    }
    const entryId = values.entry ?? '1_demo';
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(entryId)) throw new UsageError(`--entry must be an object id such as 1_demo (letters, digits, _ . -); got '${entryId}'`);
    const objectTypeFlag = values['object-type'];
    if (objectTypeFlag !== undefined && !/^(\d{1,4}|[A-Za-z]+\.[A-Za-z]+)$/.test(objectTypeFlag)) throw new UsageError(`--object-type must be a number such as 38 or a plugin type such as virtualEventEventNotifications.VirtualEvent (got '${objectTypeFlag}')`);
    if (objectTypeFlag !== undefined && values.live) throw new UsageError('give either --live or --object-type');
    const eventObjectType = objectTypeFlag === undefined ? undefined : /^\d+$/.test(objectTypeFlag) ? Number(objectTypeFlag) : objectTypeFlag;
    let eventNotificationJobId: number | undefined;
    if (values['event-id'] !== undefined) {
      if (!/^\d{1,15}$/.test(values['event-id'])) throw new UsageError(`--event-id must be a whole number (got '${values['event-id']}')`);
      eventNotificationJobId = Number(values['event-id']);
    }

    const { DEFAULT_ADMIN_SECRET } = await import('../../simulator/index.js');
    const { buildNotification, postNotification } = await import('../../simulator/notifications.js');
    const secrets = (io.env.KALTURA_WEBHOOK_SECRETS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const secret = secrets[0] ?? (io.env.KALTURA_ADMIN_SECRET || DEFAULT_ADMIN_SECRET);
    const partnerId = Number(io.env.KALTURA_PARTNER_ID) || 4242;
    const built = buildNotification(partnerId, secret, {
      entryId,
      algo,
      ...(values.legacy ? { legacy: true } : {}),
      ...(values.live ? { eventObjectType: 38, templateSystemName: 'EXPLICIT_LIVE_PUSH_NOTIFICATIONS' } : {}),
      ...(eventObjectType !== undefined ? { eventObjectType, templateSystemName: 'KREPORTS_TEST', ...(typeof eventObjectType === 'string' ? { objectType: `Kaltura${eventObjectType.split('.')[1]}` } : {}) } : {}),
      ...(eventNotificationJobId !== undefined ? { eventNotificationJobId } : {}),
    });
    const sentJobId = (JSON.parse(values.legacy ? decodeURIComponent(built.body.toString('utf8').slice(5).replace(/\+/g, ' ')) : built.body.toString('utf8')) as { eventNotificationJobId: number }).eventNotificationJobId;

    let answer: { status: number; body: string };
    try {
      answer = await postNotification(url, built);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      io.err(`kreports send-test-webhook: no answer from ${new URL(url).origin} (${code ?? (error as Error).message}). Is "npm start" running? Use --url to send elsewhere.`);
      return EXIT_FAILED;
    }
    const okStatus = answer.status === 200 || answer.status === 204;
    if (values.json) io.out(JSON.stringify({ status: answer.status, body: answer.body, entryId, eventNotificationJobId: sentJobId }));
    else io.out(`${answer.status} ${answer.body.trim()}`.trim() + `  (entry ${entryId}, eventNotificationJobId ${sentJobId}, ${algo}${values.legacy ? ', legacy body' : ''})`);
    if (!okStatus && !values.json) io.err(`kreports send-test-webhook: the receiver answered ${answer.status}; Kaltura would retry this notification.`);
    return okStatus ? EXIT_OK : EXIT_FAILED;
  },
};
