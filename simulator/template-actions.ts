/**
 * eventnotification_eventnotificationtemplate.* — system templates of partner 0 plus the partner's
 * own (cloned) templates, kept in memory.
 */
import type { ActionDef, CallContext, SimState } from './context.js';
import { apiError, invalidEnum, missingParam } from './errors.js';
import { int, isRecord, nowSeconds, str } from './util.js';

const CREATED = 1514764800;

function systemTemplate(id: number, systemName: string, name: string, eventType: number, eventObjectType: number | string, description: string): Record<string, unknown> {
  return {
    id,
    partnerId: 0,
    name,
    systemName,
    description,
    type: 'httpNotification.Http',
    status: 2,
    createdAt: CREATED,
    updatedAt: CREATED,
    manualDispatchEnabled: false,
    automaticDispatchEnabled: true,
    eventType,
    eventObjectType,
    eventConditions: [],
    contentParameters: [],
    userParameters: systemName === 'HTTP_ENTRY_STATUS_EQUALS' ? [{ key: 'trigger_status', description: 'Entry status', value: { value: '2', objectType: 'KalturaStringValue' }, objectType: 'KalturaEventNotificationParameter' }] : [],
    url: '',
    method: 2,
    timeout: 0,
    connectTimeout: 0,
    secureHashingAlgo: 1,
    objectType: 'KalturaHttpNotificationTemplate',
  };
}

export const SYSTEM_TEMPLATES: ReadonlyArray<Record<string, unknown>> = [
  systemTemplate(101, 'HTTP_ENTRY_STATUS_EQUALS', 'Entry Status Equals', 3, 1, 'HTTP notification when an entry status changes to {trigger_status}'),
  systemTemplate(102, 'HTTP_ENTRY_STATUS_CHANGED', 'Entry Status Changed', 3, 1, 'HTTP notification when an entry status changes'),
  systemTemplate(103, 'HTTP_ENTRY_CHANGED', 'Entry Changed', 3, 1, 'HTTP notification when an entry changes'),
  systemTemplate(104, 'HTTP_ENTRY_ADDED_TO_CATEGORY', 'Entry Added To Category', 5, 37, 'HTTP notification when an entry is added to a category'),
  systemTemplate(105, 'HTTP_METADATA_FIELD_CHANGED', 'Metadata Field Changed', 6, 'metadataEventNotifications.Metadata', 'HTTP notification when a metadata field changes'),
  systemTemplate(110, 'EXPLICIT_LIVE_PUSH_NOTIFICATIONS', 'Explicit Live Push Notifications', 3, 38, 'Live stream explicit-live push notifications'),
  systemTemplate(111, 'Recorded_Entry_Content_Replaced', 'Recorded Entry Content Replaced', 12, 1, 'HTTP notification when recorded content is replaced'),
];

function lookup(state: SimState, id: number): Record<string, unknown> | undefined {
  return state.templates.get(id) ?? SYSTEM_TEMPLATES.find((t) => t.id === id);
}

function requireId(ctx: CallContext): number {
  const raw = str(ctx.params.id);
  if (raw === undefined || raw === '') throw missingParam('id');
  const id = Number(raw);
  if (!Number.isInteger(id)) throw apiError('EVENT_NOTIFICATION_TEMPLATE_NOT_FOUND', { ID: raw });
  return id;
}

function ownTemplate(ctx: CallContext): Record<string, unknown> {
  const id = requireId(ctx);
  const template = ctx.state.templates.get(id);
  if (!template || template.status === 3) throw apiError('EVENT_NOTIFICATION_TEMPLATE_NOT_FOUND', { ID: String(id) });
  return template;
}

const WRITABLE = ['name', 'systemName', 'description', 'url', 'method', 'data', 'timeout', 'connectTimeout', 'username', 'password', 'authenticationMethod', 'sslVersion', 'customHeaders', 'secureHashingAlgo', 'automaticDispatchEnabled', 'manualDispatchEnabled', 'eventConditions', 'contentParameters', 'userParameters', 'eventType', 'eventObjectType', 'status'];

/** Applies the writable fields of an input object (unknown ones silently ignored, as the server does). */
function applyInput(target: Record<string, unknown>, input: Record<string, unknown>): void {
  for (const key of WRITABLE) {
    if (input[key] === undefined) continue;
    let value = input[key];
    if (['method', 'timeout', 'connectTimeout', 'secureHashingAlgo', 'status', 'eventType'].includes(key)) value = int(value) ?? value;
    if (key === 'eventObjectType') value = /^\d+$/.test(String(value)) ? Number(value) : value;
    if (key === 'automaticDispatchEnabled' || key === 'manualDispatchEnabled') value = value === true || value === '1' || value === 'true';
    target[key] = value;
  }
  const { objectType, ...rest } = target;
  for (const k of Object.keys(target)) delete target[k];
  Object.assign(target, rest, { objectType: objectType ?? 'KalturaHttpNotificationTemplate' });
}

function templateInput(ctx: CallContext): Record<string, unknown> {
  const input = ctx.params.eventNotificationTemplate;
  if (!isRecord(input)) throw missingParam('eventNotificationTemplate');
  return input;
}

const list: ActionDef = {
  handler: (ctx) => {
    const filter = isRecord(ctx.params.filter) ? ctx.params.filter : {};
    const all = [...SYSTEM_TEMPLATES, ...ctx.state.templates.values()].filter((t) => t.status !== 3);
    const systemName = str(filter.systemNameEqual);
    const partnerId = int(filter.partnerIdEqual);
    const idEqual = int(filter.idEqual);
    const statusEqual = int(filter.statusEqual);
    const typeEqual = str(filter.typeEqual);
    const matches = all.filter(
      (t) =>
        (systemName === undefined || systemName === '' || t.systemName === systemName) &&
        (partnerId === undefined || t.partnerId === partnerId) &&
        (idEqual === undefined || t.id === idEqual) &&
        (statusEqual === undefined || t.status === statusEqual) &&
        (typeEqual === undefined || typeEqual === '' || t.type === typeEqual),
    );
    const pager = isRecord(ctx.params.pager) ? ctx.params.pager : {};
    const pageSize = Math.max(1, int(pager.pageSize) ?? 30);
    const pageIndex = Math.max(1, int(pager.pageIndex) ?? 1);
    return { objects: matches.slice((pageIndex - 1) * pageSize, pageIndex * pageSize), totalCount: matches.length, objectType: 'KalturaEventNotificationTemplateListResponse' };
  },
};

const listTemplates: ActionDef = {
  handler: (ctx) => {
    const filter = isRecord(ctx.params.filter) ? ctx.params.filter : {};
    const systemName = str(filter.systemNameEqual);
    const objects = SYSTEM_TEMPLATES.filter((t) => systemName === undefined || systemName === '' || t.systemName === systemName);
    return { objects, totalCount: objects.length, objectType: 'KalturaEventNotificationTemplateListResponse' };
  },
};

const get: ActionDef = {
  handler: (ctx) => {
    const id = requireId(ctx);
    const template = lookup(ctx.state, id);
    if (!template || template.status === 3) throw apiError('EVENT_NOTIFICATION_TEMPLATE_NOT_FOUND', { ID: String(id) });
    return template;
  },
};

const clone: ActionDef = {
  handler: (ctx) => {
    const id = requireId(ctx);
    const source = lookup(ctx.state, id);
    if (!source || source.status === 3) throw apiError('EVENT_NOTIFICATION_TEMPLATE_NOT_FOUND', { ID: String(id) });
    const now = nowSeconds();
    const copy: Record<string, unknown> = { ...structuredClone(source), id: ctx.state.nextTemplateId++, partnerId: ctx.state.config.partnerId, status: 1, createdAt: now, updatedAt: now };
    const input = ctx.params.eventNotificationTemplate;
    if (isRecord(input)) applyInput(copy, input);
    ctx.state.templates.set(copy.id as number, copy);
    return copy;
  },
};

const update: ActionDef = {
  handler: (ctx) => {
    const template = ownTemplate(ctx);
    applyInput(template, templateInput(ctx));
    template.updatedAt = nowSeconds();
    return template;
  },
};

const updateStatus: ActionDef = {
  handler: (ctx) => {
    const template = ownTemplate(ctx);
    const raw = str(ctx.params.status);
    if (raw === undefined || raw === '') throw missingParam('status');
    if (!['1', '2', '3'].includes(raw)) throw invalidEnum(raw, 'status', 'KalturaEventNotificationTemplateStatus');
    template.status = Number(raw);
    template.updatedAt = nowSeconds();
    return template;
  },
};

const remove: ActionDef = {
  handler: (ctx) => {
    const template = ownTemplate(ctx);
    template.status = 3;
    return null;
  },
};

const add: ActionDef = {
  handler: (ctx) => {
    const input = templateInput(ctx);
    const now = nowSeconds();
    const template: Record<string, unknown> = { id: ctx.state.nextTemplateId++, partnerId: ctx.state.config.partnerId, type: 'httpNotification.Http', status: 1, createdAt: now, updatedAt: now, method: 2, secureHashingAlgo: 1 };
    applyInput(template, input);
    ctx.state.templates.set(template.id as number, template);
    return template;
  },
};

const S = 'eventnotification_eventnotificationtemplate';
export const templateActions: Record<string, ActionDef> = {
  [`${S}.list`]: list,
  [`${S}.listtemplates`]: listTemplates,
  [`${S}.get`]: get,
  [`${S}.clone`]: clone,
  [`${S}.update`]: update,
  [`${S}.updatestatus`]: updateStatus,
  [`${S}.delete`]: remove,
  [`${S}.add`]: add,
};
