/**
 * E-mail through the Kaltura Messaging service: `POST {messagingUrl}/message/send` with
 * `Authorization: Bearer <ADMIN KS>` and a template (`messageTemplate` created once in the Messaging
 * service; see docs/alerts.md for the tokens it should use). The KS comes from a small function the
 * composition passes in (the Kaltura session the workers already hold), never from configuration.
 *
 * 400 (validation) and 403/404 are permanent — the template, app GUID or receivers are wrong; 401 is
 * retried once with a fresh KS by the job; 429/5xx are retryable.
 */
import type { AlertMessage } from '../alert-message.js';
import { DestinationError, postBody, statusError, type AlertDestination } from './destination.js';

export const DEFAULT_MESSAGING_URL = 'https://messaging.nvp1.ovp.kaltura.com/api/v1';

export interface KalturaEmailDestinationOptions {
  readonly name: string;
  readonly templateId: string | number;
  readonly receiverUserIds: ReadonlyArray<string>;
  /** App Registry GUID the template belongs to (required by message/send). */
  readonly appGuid?: string;
  /** Messaging API base, e.g. `https://messaging.nvp1.ovp.kaltura.com/api/v1`. */
  readonly messagingUrl?: string;
  /** An ADMIN KS for the partner (the client's session). */
  readonly getKs: () => Promise<string>;
  readonly timeoutMs?: number;
}

/** The `String` tokens a template can use, e.g. `{alertTitle}`, plus `{recipient.firstName}`. */
export function messagingParams(message: AlertMessage): Record<string, { type: string; value: string }> {
  const s = (value: string) => ({ type: 'String', value });
  return {
    recipient: { type: 'User', value: 'Message.userId' },
    alertTitle: s(message.title),
    alertText: s(message.text),
    alertKind: s(message.kind),
    severity: s(message.severity),
    description: s(message.description),
    subjectId: s(message.subject.id),
    subjectName: s(message.subject.name ?? message.subject.id),
    metric: s(message.metric ?? ''),
    value: s(message.value !== undefined ? String(message.value) : ''),
    condition: s(message.condition ?? ''),
    window: s(message.window?.text ?? ''),
    link: s(message.link),
    rule: s(message.rule),
    job: s(message.job),
  };
}

export function messagingBody(options: Pick<KalturaEmailDestinationOptions, 'templateId' | 'receiverUserIds' | 'appGuid'>, message: AlertMessage): Record<string, unknown> {
  return {
    receiverType: 'user',
    userIds: [...options.receiverUserIds],
    ...(options.appGuid ? { appGuid: options.appGuid } : {}),
    templateId: String(options.templateId),
    type: 'email',
    msgParams: messagingParams(message),
    session: `kaltura-reporting-${message.rule}-${message.job}`.slice(0, 100),
    adminTags: 'kaltura-reporting,alert',
  };
}

export function createKalturaEmailDestination(options: KalturaEmailDestinationOptions): AlertDestination {
  const base = (options.messagingUrl ?? DEFAULT_MESSAGING_URL).replace(/\/+$/, '');
  return {
    name: options.name,
    type: 'kaltura-email',
    async send(message) {
      let ks: string;
      try {
        ks = await options.getKs();
      } catch (cause) {
        const retryable = !(cause instanceof Error && 'retryable' in cause) || Boolean((cause as { retryable: unknown }).retryable);
        throw new DestinationError(options.name, `could not get a Kaltura session for the Messaging API (${(cause as Error).name}).`, { retryable, cause });
      }
      const result = await postBody(options.name, `${base}/message/send`, JSON.stringify(messagingBody(options, message)), {
        headers: { authorization: `Bearer ${ks}`, accept: 'application/json' },
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      });
      if (result.status >= 200 && result.status < 300) return;
      if (result.status === 401) {
        throw new DestinationError(options.name, 'Kaltura Messaging rejected the session (HTTP 401); will retry with a fresh one.', { retryable: true, status: 401 });
      }
      if (result.status === 400 || result.status === 403 || result.status === 404) {
        throw new DestinationError(
          options.name,
          `Kaltura Messaging answered HTTP ${result.status}: check templateId, appGuid and receiverUserIds, and that the session's role may send messages.`,
          { retryable: false, status: result.status },
        );
      }
      throw statusError(options.name, result, 'Kaltura Messaging');
    },
  };
}
