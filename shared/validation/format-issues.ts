import type { z } from './zod.js';

type Issue = z.core.$ZodIssue;

/** `object.status` style path; array indexes as `[2]`. Empty path is `(root)`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/**
 * One readable line per issue: `<where>: <field path>: <reason>`.
 * `where` names the input (a file path, "SQS message", "HTTP body") so the reader knows what to fix.
 */
export function formatIssues(where: string, issues: ReadonlyArray<Issue>): string[] {
  return issues.map((issue) => `${where}: ${formatPath(issue.path)}: ${issue.message}`);
}
