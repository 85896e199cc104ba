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
  return expandUnions(issues, []).map((issue) => `${where}: ${formatPath(issue.path)}: ${issue.message}`);
}

/**
 * zod reports a failed union as one "Invalid input" issue holding each branch's issues. A person
 * wants the branch they were closest to: the one with the fewest issues that got past the first
 * key (a branch failing only on an unrecognised key is the wrong branch).
 */
function expandUnions(issues: ReadonlyArray<Issue>, prefix: ReadonlyArray<PropertyKey>): Array<{ path: PropertyKey[]; message: string }> {
  const out: Array<{ path: PropertyKey[]; message: string }> = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && Array.isArray(issue.errors) && issue.errors.length > 0) {
      const score = (branch: ReadonlyArray<Issue>) => branch.length + (branch.every((i) => i.code === 'unrecognized_keys' || i.path.length === 0) ? 100 : 0);
      const best = [...issue.errors].sort((a, b) => score(a) - score(b))[0]!;
      if (score(best) < 100) {
        out.push(...expandUnions(best, path));
        continue;
      }
    }
    out.push({ path, message: issue.message });
  }
  return out;
}
