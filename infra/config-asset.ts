/**
 * The validated configuration travels inside each Lambda bundle as `reporting-config.json`, so a
 * function never parses YAML or re-validates at cold start and the deployed code and configuration
 * always change together (the asset hash covers the bundle output, config included).
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReportingConfig } from '../shared/config/schema.js';
import { BUNDLED_CONFIG_FILE } from './bundling.js';

/**
 * Writes the configuration as JSON to a content-addressed file and returns its path.
 *
 * Written beside and renamed into place: two synths of the same configuration at once (parallel CI
 * jobs, the test suite's workers) share the file, and a plain write truncates it first, so the other
 * synth's bundling could copy an empty configuration into a Lambda. A rename is atomic: a reader sees
 * the old complete file or the new complete file.
 */
export function writeBundledConfig(config: ReportingConfig): string {
  const json = JSON.stringify(config, null, 2) + '\n';
  const hash = createHash('sha256').update(json).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'kreports-bundled-config');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${hash}.json`);
  const partial = `${file}.${process.pid}.${randomUUID()}.partial`;
  writeFileSync(partial, json);
  renameSync(partial, file);
  return file;
}

/** Shell command (run by NodejsFunction's `afterBundling` hook) that copies the file into the bundle. */
export function copyConfigCommand(sourceFile: string, outputDir: string): string {
  const target = join(outputDir, BUNDLED_CONFIG_FILE);
  return process.platform === 'win32' ? `copy /Y "${sourceFile}" "${target}"` : `cp "${sourceFile}" "${target}"`;
}
