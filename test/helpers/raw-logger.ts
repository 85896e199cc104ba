/** Test helpers shared by several areas. */
import type { Logger } from '../../shared/logging/logger.js';

/**
 * A Logger that keeps exactly what it is given, with NO redaction, so a test of "no secret in the
 * logs" checks the code under test and not the logger's safety net (`redact`).
 */
export function rawLogger(lines: string[] = [], base: Record<string, unknown> = {}): Logger & { readonly lines: string[] } {
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(JSON.stringify({ level, message, ...base, ...fields }, (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message, cause: v.cause === undefined ? undefined : String(v.cause) } : v)));
  };
  return {
    lines,
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (fields) => rawLogger(lines, { ...base, ...fields }),
    metric: (name, value, dimensions) => void lines.push(JSON.stringify({ metric: name, value, dimensions })),
  };
}
