/** KalturaAPIException as the real server serializes it (WIRE_FACTS §0.3/§0.4). */

const TEMPLATES: Record<string, string> = {
  INVALID_KS: 'Invalid KS "@KSID@", Error "@ERR_CODE@,@ERR_DESC@"',
  SERVICE_FORBIDDEN: 'The access to service [@SERVICE@] is forbidden',
  MISSING_KS: 'Missing KS, session not established',
  MISSING_MANDATORY_PARAMETER: 'Missing parameter "@PARAM_NAME@"',
  INVALID_ENUM_VALUE: 'Invalid enumeration value "@ENUM_VAL@" for parameter "@PARAM_NAME@", expecting enumeration type "@ENUM_TYPE@"',
  SERVICE_DOES_NOT_EXISTS: 'Service "@SRV_NAME@" does not exists',
  ACTION_DOES_NOT_EXISTS: 'Action "@ACTION_NAME@" does not exists for service "@SERVICE_NAME@"',
  REPORT_NOT_FOUND: 'Report id "@ID@" not found',
  SEARCH_TOO_GENERAL: 'Unable to create report. Query produced too many results',
  INTERNAL_SERVERL_ERROR: 'Internal server error occurred',
  INTERNAL_SERVER_ERROR: 'Internal server error occurred',
  DRUID_QUERY_TIMED_OUT: 'Druid query timed out',
  START_SESSION_ERROR: 'Error while starting session for partner [@PID@]',
  APP_TOKEN_ID_NOT_FOUND: 'Application token id [@ID@] not found',
  APP_TOKEN_NOT_ACTIVE: 'Application token id [@ID@] is not active',
  APP_TOKEN_EXPIRED: 'Application token id [@ID@] is expired',
  INVALID_APP_TOKEN_HASH: 'Invalid application token hash',
  INVALID_WIDGET_ID: 'Invalid widget id [@WIDGET_ID@]',
  ENTRY_ID_NOT_FOUND: 'Entry id "@ENTRY_ID@" not found',
  EVENT_NOTIFICATION_TEMPLATE_NOT_FOUND: 'Event notification template id [@ID@] not found',
  ANALYTICS_UNSUPPORTED_QUERY: 'Unsupported query',
  'MISSING MANDATORY PARAMETER RELATED OBJECT TYPE': 'Missing mandatory parameter related object type',
  PROPERTY_VALIDATION_CANNOT_BE_NULL: 'The property "@PROP_NAME@" cannot be null',
  INVALID_OBJECT_ID: 'Invalid object id [@ID@]',
  INVALID_OBJECT_TYPE: 'Invalid object type "@OBJ_TYPE@"',
};

/** A KalturaAPIException to be answered with HTTP 200. */
export class SimApiError extends Error {
  constructor(
    readonly code: string,
    readonly args: Record<string, string> = {},
    message?: string,
  ) {
    super(message ?? fillTemplate(code, args));
    this.name = 'SimApiError';
  }
}

function fillTemplate(code: string, args: Record<string, string>): string {
  const template = TEMPLATES[code] ?? `Simulated error ${code}`;
  return template.replace(/@([A-Z_]+)@/g, (whole, name: string) => args[name] ?? whole);
}

export function apiError(code: string, args: Record<string, string> = {}): SimApiError {
  return new SimApiError(code, args);
}

/** JSON shape: keys in the order code, message, objectType, args; empty args as `[]`. */
export function serializeError(error: SimApiError): Record<string, unknown> {
  const args: Record<string, string> = {};
  for (const [k, v] of Object.entries(error.args)) args[k] = String(v).replace(/<[^>]*>/g, '');
  return { code: error.code, message: error.message, objectType: 'KalturaAPIException', args: Object.keys(args).length > 0 ? args : [] };
}

export function toApiError(error: unknown): SimApiError {
  if (error instanceof SimApiError) return error;
  return new SimApiError('INTERNAL_SERVERL_ERROR');
}

export const invalidKs = (ksid: string): SimApiError => apiError('INVALID_KS', { KSID: ksid, ERR_CODE: '-1', ERR_DESC: 'INVALID_STR' });
export const missingParam = (name: string): SimApiError => apiError('MISSING_MANDATORY_PARAMETER', { PARAM_NAME: name });
export const invalidEnum = (value: string, param: string, type: string): SimApiError =>
  apiError('INVALID_ENUM_VALUE', { ENUM_VAL: value, PARAM_NAME: param, ENUM_TYPE: type });
