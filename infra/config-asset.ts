/**
 * The validated configuration travels inside each Lambda bundle as `reporting-config.json`, so a
 * function never parses YAML or re-validates at cold start and the deployed code and configuration
 * always change together (the asset hash covers the bundle output, config included).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReportingConfig } from '../shared/config/schema.js';
import { BUNDLED_CONFIG_FILE } from './bundling.js';

/** Writes the configuration as JSON to a content-addressed file and returns its path. */
export function writeBundledConfig(config: ReportingConfig): string {
  const json = JSON.stringify(config, null, 2) + '\n';
  const hash = createHash('sha256').update(json).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'kreports-bundled-config');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${hash}.json`);
  writeFileSync(file, json);
  return file;
}

/** Shell command (run by NodejsFunction's `afterBundling` hook) that copies the file into the bundle. */
export function copyConfigCommand(sourceFile: string, outputDir: string): string {
  const target = join(outputDir, BUNDLED_CONFIG_FILE);
  return process.platform === 'win32' ? `copy /Y "${sourceFile}" "${target}"` : `cp "${sourceFile}" "${target}"`;
}
