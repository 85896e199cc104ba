/**
 * Microsoft Teams "workflow" webhook (Power Automate "When a Teams webhook request is received"):
 * the body is a message with one Adaptive Card attachment. Success is `202 Accepted` (the flow runs
 * asynchronously); `200` is accepted too. 429/5xx retryable (Retry-After honoured for short waits),
 * other 4xx permanent (the flow was deleted, disabled or the URL's signature is wrong).
 */
import { formatDuration, type AlertMessage } from '../alert-message.js';
import { postBody, realSleep, statusError, withRetryAfter, type AlertDestination, type Sleep } from './destination.js';

const COLOR: Record<AlertMessage['kind'], string> = { firing: 'Attention', repeat: 'Attention', resolved: 'Good', error: 'Warning', 'no-data': 'Warning', summary: 'Accent' };

export function teamsPayload(message: AlertMessage): Record<string, unknown> {
  const facts = [
    ...(message.metric !== undefined ? [{ title: 'Metric', value: message.metric }] : []),
    ...(message.value !== undefined ? [{ title: 'Value', value: String(message.value) }] : []),
    ...(message.condition !== undefined ? [{ title: 'Condition', value: message.condition }] : []),
    ...(message.window ? [{ title: 'Window', value: message.window.text }] : []),
    ...message.facts.map((f) => ({ title: f.label, value: f.value })),
    { title: 'Rule / job', value: `${message.rule} / ${message.job}` },
  ];
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: message.title, weight: 'Bolder', size: 'Medium', wrap: true, color: COLOR[message.kind] },
            { type: 'TextBlock', text: message.description, wrap: true },
            { type: 'FactSet', facts },
            ...(message.kind === 'resolved' && message.durationSeconds !== undefined
              ? [{ type: 'TextBlock', text: `Lasted ${formatDuration(message.durationSeconds)}`, wrap: true, isSubtle: true }]
              : []),
          ],
          actions: [{ type: 'Action.OpenUrl', title: 'Open in Kaltura', url: message.link }],
        },
      },
    ],
  };
}

export interface TeamsDestinationOptions {
  readonly name: string;
  readonly url: () => Promise<string>;
  readonly timeoutMs?: number;
  readonly maxInlineWaitSeconds?: number;
  readonly sleep?: Sleep;
}

export function createTeamsDestination(options: TeamsDestinationOptions): AlertDestination {
  return {
    name: options.name,
    type: 'teams',
    async send(message) {
      const url = await options.url();
      const body = JSON.stringify(teamsPayload(message));
      await withRetryAfter(
        async () => {
          const result = await postBody(options.name, url, body, { ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
          if (result.status === 202 || result.status === 200) return;
          throw statusError(options.name, result, 'Teams workflow');
        },
        { maxInlineWaitSeconds: options.maxInlineWaitSeconds ?? 5, maxInlineRetries: 2, sleep: options.sleep ?? realSleep },
      );
    },
  };
}
