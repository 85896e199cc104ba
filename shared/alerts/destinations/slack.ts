/**
 * Slack incoming webhook: a Block Kit message with a plain-text fallback.
 *
 * Slack answers `200 ok`; `429` with `Retry-After` when posting faster than about one message per
 * second per webhook (we pace ourselves and honour short waits inline); `400 invalid_payload`,
 * `403 action_prohibited`, `404 channel_not_found` / `no_service`, `410 channel_is_archived` are
 * permanent (the webhook is wrong or revoked); 5xx is retryable.
 */
import { formatDuration, type AlertMessage } from '../alert-message.js';
import { createPacer, DestinationError, postBody, realSleep, statusError, withRetryAfter, type AlertDestination, type Sleep } from './destination.js';

const EMOJI: Record<AlertMessage['kind'], string> = {
  firing: ':red_circle:',
  repeat: ':red_circle:',
  resolved: ':large_green_circle:',
  error: ':warning:',
  'no-data': ':grey_question:',
  summary: ':bar_chart:',
};

function trim(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Slack mrkdwn escaping (`&`, `<`, `>`). */
function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackPayload(message: AlertMessage): Record<string, unknown> {
  const fields = [
    ...(message.metric !== undefined ? [{ type: 'mrkdwn', text: `*Metric*\n${esc(message.metric)}` }] : []),
    ...(message.value !== undefined ? [{ type: 'mrkdwn', text: `*Value*\n${message.value}` }] : []),
    ...(message.condition !== undefined ? [{ type: 'mrkdwn', text: `*Condition*\n${esc(message.condition)}` }] : []),
    ...message.facts.map((f) => ({ type: 'mrkdwn', text: `*${esc(f.label)}*\n${esc(trim(f.value, 200))}` })),
    ...(message.durationSeconds !== undefined ? [{ type: 'mrkdwn', text: `*Lasted*\n${formatDuration(message.durationSeconds)}` }] : []),
  ].slice(0, 10);
  const context = [
    ...(message.window ? [`Window: ${message.window.text}`] : []),
    `Rule \`${message.rule}\` · job \`${message.job}\` · severity ${message.severity}`,
  ];
  return {
    // Escaped: an entry named "<!channel>" must not ping anyone.
    text: trim(esc(`${message.title}\n${message.description}`), 3000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: trim(message.title, 150), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: trim(`${EMOJI[message.kind]} ${esc(message.description)}`, 3000) }, ...(fields.length ? { fields } : {}) },
      { type: 'context', elements: context.map((t) => ({ type: 'mrkdwn', text: trim(esc(t), 300) })) },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in Kaltura' }, url: message.link }] },
    ],
  };
}

export interface SlackDestinationOptions {
  readonly name: string;
  /** Resolves the webhook URL (a secret) when sending. */
  readonly url: () => Promise<string>;
  readonly timeoutMs?: number;
  /** Minimum spacing between messages to one webhook. Default 1000 ms. */
  readonly minIntervalMs?: number;
  /** Wait inline for a 429 when Retry-After is at most this. Default 5 s. */
  readonly maxInlineWaitSeconds?: number;
  readonly sleep?: Sleep;
}

const pacers = new Map<number, (target: string) => Promise<void>>();

export function createSlackDestination(options: SlackDestinationOptions): AlertDestination {
  const sleep = options.sleep ?? realSleep;
  const interval = options.minIntervalMs ?? 1000;
  const pace = options.sleep ? createPacer(interval, sleep) : (pacers.get(interval) ?? pacers.set(interval, createPacer(interval)).get(interval)!);
  return {
    name: options.name,
    type: 'slack',
    async send(message) {
      const url = await options.url();
      const body = JSON.stringify(slackPayload(message));
      await withRetryAfter(
        async () => {
          await pace(url);
          const result = await postBody(options.name, url, body, { ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
          if (result.status === 200) return;
          if ([400, 403, 404, 410].includes(result.status)) {
            throw new DestinationError(options.name, `Slack answered HTTP ${result.status} "${result.body.slice(0, 60)}": the webhook is invalid, revoked or its channel is archived. Create a new incoming webhook and update the secret.`, { retryable: false, status: result.status });
          }
          throw statusError(options.name, result, 'Slack');
        },
        { maxInlineWaitSeconds: options.maxInlineWaitSeconds ?? 5, maxInlineRetries: 3, sleep },
      );
    },
  };
}
