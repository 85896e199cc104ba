/** session.* and appToken.startSession (WIRE_FACTS §5). */
import { createHash } from 'node:crypto';
import type { ActionDef, CallContext } from './context.js';
import { apiError, invalidEnum, missingParam } from './errors.js';
import { privilegesString } from './ks.js';
import { int, nowSeconds, str } from './util.js';

function clampExpiry(ctx: CallContext, requested: number | undefined): number {
  const max = ctx.state.config.ksMaxExpirySeconds;
  const seconds = requested === undefined ? 86400 : requested;
  return nowSeconds() + Math.min(seconds, max);
}

const start: ActionDef = {
  ksIgnored: true,
  handler: (ctx) => {
    const { params, state } = ctx;
    const secret = str(params.secret);
    if (secret === undefined || secret === '') throw missingParam('secret');
    const typeRaw = str(params.type) ?? '0';
    if (typeRaw !== '0' && typeRaw !== '2') throw invalidEnum(typeRaw, 'type', 'KalturaSessionType');
    const type = Number(typeRaw);
    const partnerId = int(params.partnerId) ?? -1;
    const { config } = state;
    const pid = String(params.partnerId ?? '');
    if (partnerId !== config.partnerId) throw apiError('START_SESSION_ERROR', { PID: pid });
    const ok = secret === config.adminSecret || (type === 0 && secret === config.userSecret);
    if (!ok) throw apiError('START_SESSION_ERROR', { PID: pid });
    const expiry = int(params.expiry);
    return state.issueKs({
      type,
      userId: str(params.userId) ?? '',
      validUntil: expiry === 0 ? nowSeconds() : clampExpiry(ctx, expiry),
      privileges: str(params.privileges) ?? '',
    });
  },
};

const startWidgetSession: ActionDef = {
  ksIgnored: true,
  handler: (ctx) => {
    const widgetId = str(ctx.params.widgetId);
    if (widgetId === undefined || widgetId === '') throw missingParam('widgetId');
    if (widgetId !== `_${ctx.state.config.partnerId}`) throw apiError('INVALID_WIDGET_ID', { WIDGET_ID: widgetId });
    const ks = ctx.state.issueKs({ type: 0, userId: '0', validUntil: clampExpiry(ctx, int(ctx.params.expiry)), privileges: 'view:*,widget:1' });
    return { partnerId: ctx.state.config.partnerId, ks, userId: 0, objectType: 'KalturaStartWidgetSessionResponse' };
  },
};

const appTokenStartSession: ActionDef = {
  widgetAllowed: true,
  handler: (ctx) => {
    const { params, state } = ctx;
    const id = str(params.id);
    if (id === undefined || id === '') throw missingParam('id');
    const tokenHash = str(params.tokenHash);
    if (tokenHash === undefined || tokenHash === '') throw missingParam('tokenHash');
    const token = state.config.appToken;
    if (id !== token.id) throw apiError('APP_TOKEN_ID_NOT_FOUND', { ID: id });
    const expected = createHash(token.hashType.toLowerCase()).update(`${ctx.ksString ?? ''}${token.token}`).digest('hex');
    if (tokenHash !== expected) throw apiError('INVALID_APP_TOKEN_HASH');
    const typeRaw = str(params.type);
    if (typeRaw !== undefined && typeRaw !== '' && typeRaw !== '0' && typeRaw !== '2') throw invalidEnum(typeRaw, 'type', 'KalturaSessionType');
    // The simulator's token is an ADMIN token (sessionType 2 set on the token overrides the request).
    const sessionType = 2;
    const duration = state.config.ksMaxExpirySeconds;
    const requested = int(params.expiry);
    const expiry = nowSeconds() + Math.min(requested && requested > 0 ? requested : duration, duration);
    const extra = (str(params.sessionPrivileges) ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
    const privileges = [`sessionid:${token.id}`, `apptoken:${token.id}`, ...extra].join(',');
    const userId = str(params.userId) ?? '';
    const ks = state.issueKs({ type: sessionType, userId, validUntil: expiry, privileges });
    const info: Record<string, unknown> = { ks, sessionType, partnerId: state.config.partnerId };
    if (userId !== '') info.userId = userId;
    info.expiry = expiry;
    info.privileges = privileges;
    info.objectType = 'KalturaSessionInfo';
    return info;
  },
};

const get: ActionDef = {
  widgetAllowed: true,
  handler: (ctx) => {
    const ks = ctx.ks;
    if (!ks) throw missingParam('ks');
    const info: Record<string, unknown> = { ks: ctx.ksString, sessionType: ks.type, partnerId: ks.partnerId };
    if (ks.userId !== '') info.userId = ks.userId;
    info.expiry = ks.validUntil;
    info.privileges = privilegesString(ks.privileges);
    info.objectType = 'KalturaSessionInfo';
    return info;
  },
};

const end: ActionDef = { widgetAllowed: true, handler: () => null };

export const sessionActions: Record<string, ActionDef> = {
  'session.start': start,
  'session.startwidgetsession': startWidgetSession,
  'session.get': get,
  'session.end': end,
  'apptoken.startsession': appTokenStartSession,
};
