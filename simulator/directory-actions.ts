/**
 * The catalogue side a report is joined with: `elasticsearch_esearch.searchEntry` (caption
 * conditions, seed §15.10), `baseentry.list` and `user.list` (metadata the project joins into
 * exports). Shapes follow WIRE_FACTS §0.2: nulls dropped, `objectType` last on every object, list
 * responses as `{objects, totalCount, objectType}` (the order beacon.list shows in §8.1).
 *
 * The catalogue is the 36 synthetic entries reports use without an entry filter
 * (`DEFAULT_ENTRY_IDS`); 17 of them have no caption asset (`hasCaptions`, a hash of the id).
 */
import type { ActionDef, CallContext } from './context.js';
import { apiError, invalidEnum, missingParam } from './errors.js';
import { entryObject } from './live-actions.js';
import { DEFAULT_ENTRY_IDS, isQuiet } from './synthetic.js';
import { hash32, int, isRecord, mix, str } from './util.js';

/** Whether a synthetic entry has at least one caption asset (deterministic; quiet entries never do). */
export function hasCaptions(entryId: string): boolean {
  return !isQuiet(entryId) && hash32(`captions:${entryId}`) % 3 !== 0;
}

/** KalturaESearchItemType (generated clients): 1 exact, 2 partial, 3 starts-with, 4 exists, 5 range. */
const ITEM_TYPES = new Set([1, 2, 3, 4, 5]);
/** KalturaESearchOperatorType: 1 AND, 2 OR, 3 NOT. */
const OPERATORS = new Set([1, 2, 3]);

function listOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isRecord(value)) return Object.keys(value).sort((a, b) => Number(a) - Number(b)).map((k) => value[k]);
  return [];
}

/** A predicate over entry ids for one eSearch item or operator. */
function compile(node: unknown, path: string): (entryId: string) => boolean {
  if (!isRecord(node)) throw missingParam(path);
  const objectType = str(node.objectType) ?? '';
  if (objectType === 'KalturaESearchEntryOperator' || objectType === 'KalturaESearchOperator') {
    const operator = int(node.operator) ?? 1;
    if (!OPERATORS.has(operator)) throw invalidEnum(String(node.operator), 'operator', 'KalturaESearchOperatorType');
    const items = listOf(node.searchItems).map((item, i) => compile(item, `${path}:searchItems:${i}`));
    if (operator === 3) return (id) => items.every((p) => !p(id));
    if (operator === 2) return (id) => items.some((p) => p(id));
    return (id) => items.every((p) => p(id));
  }
  if (objectType === 'KalturaESearchCaptionItem') {
    const itemType = int(node.itemType);
    if (itemType === undefined || !ITEM_TYPES.has(itemType)) throw invalidEnum(String(node.itemType ?? ''), 'itemType', 'KalturaESearchItemType');
    // EXISTS (4) matches entries with a caption asset; a term search also only matches captioned entries,
    // and the simulator treats every caption as containing any term.
    return hasCaptions;
  }
  if (objectType === 'KalturaESearchEntryItem') {
    const field = str(node.fieldName);
    const term = str(node.searchTerm) ?? '';
    if (field === 'id') return (id) => id === term;
    throw apiError('INVALID_OBJECT_TYPE', { OBJ_TYPE: `${objectType}.${field ?? ''}` });
  }
  throw apiError('INVALID_OBJECT_TYPE', { OBJ_TYPE: objectType });
}

function pagerOf(params: Record<string, unknown>, defaultSize: number): { size: number; index: number } {
  const pager = isRecord(params.pager) ? params.pager : {};
  const size = Math.max(1, Math.min(500, int(pager.pageSize) ?? defaultSize));
  const index = Math.max(1, int(pager.pageIndex) ?? 1);
  return { size, index };
}

const searchEntry: ActionDef = {
  handler: (ctx: CallContext) => {
    const searchParams = ctx.params.searchParams;
    if (!isRecord(searchParams)) throw missingParam('searchParams');
    const matches = compile(searchParams.searchOperator, 'searchParams:searchOperator');
    const found = DEFAULT_ENTRY_IDS.filter(matches);
    const { size, index } = pagerOf(ctx.params, 25);
    const page = found.slice((index - 1) * size, index * size);
    return {
      totalCount: found.length,
      objects: page.map((id) => ({ object: entryObject(ctx, id), itemsData: [], objectType: 'KalturaESearchEntryResult' })),
      objectType: 'KalturaESearchEntryResponse',
    };
  },
};

function idsOf(filter: unknown, field: string): string[] | undefined {
  if (!isRecord(filter)) return undefined;
  const raw = str(filter[field]);
  if (raw === undefined) return undefined;
  return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

const baseEntryList: ActionDef = {
  handler: (ctx) => {
    const ids = (idsOf(ctx.params.filter, 'idIn') ?? DEFAULT_ENTRY_IDS).filter((id) => !id.includes('missing'));
    const { size, index } = pagerOf(ctx.params, 30);
    const page = ids.slice((index - 1) * size, index * size);
    return { objects: page.map((id) => entryObject(ctx, id)), totalCount: ids.length, objectType: 'KalturaBaseEntryListResponse' };
  },
};

const FIRST = ['Ana', 'Björn', 'Chen', 'Conor', 'Dana', 'Élodie', 'Farah', 'Gustavo'];
const LAST = ['Souza', 'Ödegaard', 'Wei', "O'Brien", 'Jones', 'Martin', 'Haddad', 'Peña'];
const COMPANIES = ['Acme, Inc.', 'Globex', 'Initech; Ltd', 'Umbrella "Corp"', 'Société Générale', '株式会社 Example'];
const TITLES = ['Engineer', 'Student', 'Sales lead', 'Professor', 'Analyst'];

/** A synthetic KalturaUser (every id exists except ids containing `missing`). */
export function userObject(ctx: CallContext, userId: string): Record<string, unknown> {
  const h = hash32(`user:${userId}`);
  const first = FIRST[h % FIRST.length] ?? 'Ana';
  const last = LAST[mix(h, 1) % LAST.length] ?? 'Souza';
  const email = userId.includes('@') ? userId : `${userId.replace(/[^A-Za-z0-9._-]/g, '.')}@example.com`;
  return {
    id: userId,
    partnerId: ctx.state.config.partnerId,
    screenName: `${first} ${last}`,
    fullName: `${first} ${last}`,
    email,
    country: ['US', 'DE', 'FR', 'JP'][mix(h, 2) % 4],
    status: 1,
    createdAt: 1672531200 + (h % 94608000),
    type: 0,
    isAdmin: false,
    firstName: first,
    lastName: last,
    title: TITLES[mix(h, 3) % TITLES.length],
    company: COMPANIES[mix(h, 4) % COMPANIES.length],
    objectType: 'KalturaUser',
  };
}

const userList: ActionDef = {
  handler: (ctx) => {
    const ids = (idsOf(ctx.params.filter, 'idIn') ?? Array.from({ length: 24 }, (_, i) => `user${String(i + 1).padStart(2, '0')}@example.com`)).filter((id) => !id.includes('missing'));
    const { size, index } = pagerOf(ctx.params, 30);
    const page = ids.slice((index - 1) * size, index * size);
    return { objects: page.map((id) => userObject(ctx, id)), totalCount: ids.length, objectType: 'KalturaUserListResponse' };
  },
};

export const directoryActions: Record<string, ActionDef> = {
  'elasticsearch_esearch.searchentry': searchEntry,
  'baseentry.list': baseEntryList,
  'user.list': userList,
};
