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
