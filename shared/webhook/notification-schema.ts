/**
 * `KalturaHttpNotification` as the real server sends it (WIRE_FACTS §6.3):
 * `{object, eventObjectType, eventNotificationJobId, templateId, templateName, templateSystemName, eventType, objectType}`.
 *
 * Tolerant where the server varies: enum values may be numbers or numeric strings (the XML form and
 * some PHP paths give strings), `eventObjectType` is an integer for core types or a plugin string
 * such as `virtualEventEventNotifications.VirtualEvent`, nulls are omitted, unknown fields are kept.
 * The parsed form is normalised: enums are numbers, the job id is a string (it is a key, not a number).
 */
import { z } from '../validation/zod.js';

const NUMERIC = /^-?\d+$/;

/** An integer sent as a JSON number or as a numeric string. */
const intLike = z.pipe(
  z.union([z.int(), z.string().check(z.trim(), z.regex(NUMERIC, 'must be an integer or a numeric string'))]),
  z.transform((v) => Number(v)),
);

/** Core object types are integers (1 ENTRY, 38 LIVE_STREAM); plugin types are `<plugin>.<Name>` strings. */
const eventObjectType = z.pipe(
  z.union([z.int(), z.string().check(z.trim(), z.minLength(1))]),
  z.transform((v): number | string => (typeof v === 'string' && NUMERIC.test(v) ? Number(v) : v)),
);

/** The batch job id: stable across Kaltura's retries, so it is the idempotency key. */
const jobId = z.pipe(
  z.union([z.int().check(z.gte(0)), z.string().check(z.trim(), z.regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a job id (digits)'))]),
  z.transform((v) => String(v)),
);

export const KalturaHttpNotificationSchema = z.looseObject({
  /** The API object the event is about (e.g. a KalturaMediaEntry); absent when the server had none. */
  object: z.optional(z.record(z.string(), z.unknown())),
  eventObjectType,
  eventNotificationJobId: jobId,
  templateId: z.optional(intLike),
  templateName: z.optional(z.string()),
  templateSystemName: z.optional(z.string()),
  eventType: intLike,
  objectType: z.optional(z.string()),
});
export type KalturaHttpNotification = z.infer<typeof KalturaHttpNotificationSchema>;


type SafeParseResult = ReturnType<typeof KalturaHttpNotificationSchema.safeParse>;

const SHAPE_KEYS = new Set(['object', 'eventObjectType', 'eventNotificationJobId', 'templateId', 'templateName', 'templateSystemName', 'eventType', 'objectType']);
const JOB_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const hasOwn = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);
/** Not a fast-path input: thrown inside `fastParse`, answered by the schema. */
const SLOW = Symbol('slow');

/** An object as JSON.parse makes it, with none of the keys zod treats specially. */
function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype && !hasOwn(v, '__proto__') && !hasOwn(v, 'constructor');
}

/** `intLike`: an integer, or a numeric string (untrimmed strings go to the schema). */
function intLikeValue(v: unknown): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string' && v === v.trim() && NUMERIC.test(v)) return Number(v);
  throw SLOW;
}

/** An optional field: absent (omitted from the result), or present and accepted by `read`. */
function optionalField<T>(input: Record<string, unknown>, key: string, read: (v: unknown) => T): T | undefined {
  const v = input[key];
  if (v === undefined && hasOwn(input, key)) throw SLOW;
  return v === undefined ? undefined : read(v);
}

const stringValue = (v: unknown): string => {
  if (typeof v !== 'string') throw SLOW;
  return v;
};

/**
 * The well-formed JSON notification parsed without zod: the same result as
 * `KalturaHttpNotificationSchema.safeParse` (same values, same key order), for a fraction of the
 * cost on the receiver's hot path. Anything unusual (a wrong type, padded strings, keys zod treats
 * specially) returns undefined and goes to the schema, which also words the errors.
 */
function fastParse(input: unknown): KalturaHttpNotification | undefined {
  if (!isJsonObject(input)) return undefined;
  try {
    const objectIn = optionalField(input, 'object', (v) => {
      if (!isJsonObject(v)) throw SLOW;
      return v;
    });
    const rawType = input.eventObjectType;
    let eventObjectType: number | string;
    if (typeof rawType === 'number' && Number.isSafeInteger(rawType)) eventObjectType = rawType;
    else if (typeof rawType === 'string' && rawType !== '' && rawType === rawType.trim()) eventObjectType = NUMERIC.test(rawType) ? Number(rawType) : rawType;
    else throw SLOW;
    const rawId = input.eventNotificationJobId;
    let eventNotificationJobId: string;
    if (typeof rawId === 'number' && Number.isSafeInteger(rawId) && rawId >= 0) eventNotificationJobId = String(rawId);
    else if (typeof rawId === 'string' && rawId === rawId.trim() && JOB_ID.test(rawId)) eventNotificationJobId = rawId;
    else throw SLOW;
    const templateId = optionalField(input, 'templateId', intLikeValue);
    const templateName = optionalField(input, 'templateName', stringValue);
    const templateSystemName = optionalField(input, 'templateSystemName', stringValue);
    const eventType = intLikeValue(input.eventType);
    const objectType = optionalField(input, 'objectType', stringValue);

    const out: Record<string, unknown> = {};
    if (objectIn !== undefined) {
      const object: Record<string, unknown> = {};
      for (const k of Object.keys(objectIn)) object[k] = objectIn[k];
      out.object = object;
    }
    out.eventObjectType = eventObjectType;
    out.eventNotificationJobId = eventNotificationJobId;
    if (templateId !== undefined) out.templateId = templateId;
    if (templateName !== undefined) out.templateName = templateName;
    if (templateSystemName !== undefined) out.templateSystemName = templateSystemName;
    out.eventType = eventType;
    if (objectType !== undefined) out.objectType = objectType;
    for (const k of Object.keys(input)) if (!SHAPE_KEYS.has(k)) out[k] = input[k];
    return out as KalturaHttpNotification;
  } catch (error) {
    if (error === SLOW) return undefined;
    throw error;
  }
}

/** `KalturaHttpNotificationSchema.safeParse`, with a fast path for the usual JSON notification. */
export function parseKalturaHttpNotification(value: unknown): SafeParseResult {
  const data = fastParse(value);
  return data ? ({ success: true, data } as SafeParseResult) : KalturaHttpNotificationSchema.safeParse(value);
}

/** EventNotificationEventType (WIRE_FACTS §6.4). The guides' numbering is wrong; this is the server's. */
export const EVENT_TYPES: Readonly<Record<string, number>> = {
  BATCH_JOB_STATUS: 1,
  OBJECT_ADDED: 2,
  OBJECT_CHANGED: 3,
  OBJECT_COPIED: 4,
  OBJECT_CREATED: 5,
  OBJECT_DATA_CHANGED: 6,
  OBJECT_DELETED: 7,
  OBJECT_ERASED: 8,
  OBJECT_READY_FOR_REPLACMENT: 9,
  OBJECT_SAVED: 10,
  OBJECT_UPDATED: 11,
  OBJECT_REPLACED: 12,
  OBJECT_READY_FOR_INDEX: 13,
};

/** EventNotificationEventObjectType core values (WIRE_FACTS §6.4). */
export const EVENT_OBJECT_TYPES: Readonly<Record<string, number>> = {
  ENTRY: 1,
  CATEGORY: 2,
  ASSET: 3,
  FLAVORASSET: 4,
  THUMBASSET: 5,
  KUSER: 8,
  ACCESSCONTROL: 9,
  BATCHJOB: 10,
  BULKUPLOADRESULT: 11,
  CATEGORYKUSER: 12,
  CONVERSIONPROFILE2: 14,
  FLAVORPARAMS: 15,
  FLAVORPARAMSCONVERSIONPROFILE: 16,
  FLAVORPARAMSOUTPUT: 17,
  GENERICSYNDICATIONFEED: 18,
  KUSERTOUSERROLE: 19,
  PARTNER: 20,
  PERMISSION: 21,
  PERMISSIONITEM: 22,
  PERMISSIONTOPERMISSIONITEM: 23,
  SCHEDULER: 24,
  SCHEDULERCONFIG: 25,
  SCHEDULERSTATUS: 26,
  SCHEDULERWORKER: 27,
  STORAGEPROFILE: 28,
  SYNDICATIONFEED: 29,
  THUMBPARAMS: 31,
  THUMBPARAMSOUTPUT: 32,
  UPLOADTOKEN: 33,
  USERLOGINDATA: 34,
  USERROLE: 35,
  WIDGET: 36,
  CATEGORYENTRY: 37,
  LIVE_STREAM: 38,
  SERVER_NODE: 39,
  ENTRY_SERVER_NODE: 40,
  REACH_PROFILE: 41,
  ENTRY_VENDOR_TASK: 42,
  GROUPUSER: 43,
  USER_ENTRY: 44,
};
