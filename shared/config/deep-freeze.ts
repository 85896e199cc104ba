/**
 * A loaded configuration is read-only: job messages share its job specs (shared/jobs/create-job-message.ts
 * remembers things per spec object), so a change made in place would silently change every later job.
 * Frozen, such a change throws where it is made. Used by every way of loading one (file, bundled).
 */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
