/** Factories for infrastructure tests: a ReportingStack built from a fixture configuration. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { loadDeployConfig } from '../../infra/deploy-config.js';
import { ReportingStack, type ReportingStackProps } from '../../infra/reporting-stack.js';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(here, 'fixtures');
export const STUB_FUNCTIONS_DIR = join(FIXTURES, 'functions');
export const DEPLOY_CONFIG = join(FIXTURES, 'deploy-config.yaml');

export interface BuildOptions extends Partial<Omit<ReportingStackProps, 'config'>> {
  configFile?: string;
  /** Real esbuild bundling (slow-ish: one esbuild per function). Default false. */
  bundle?: boolean;
}

const outdirs: string[] = [];

/** A temporary directory removed by `removeTempDirs()` (call it in afterAll). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  outdirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export async function buildStack(options: BuildOptions = {}): Promise<{ app: App; stack: ReportingStack }> {
  const { configFile = DEPLOY_CONFIG, bundle = false, ...props } = options;
  const config = await loadDeployConfig(configFile);
  const app = new App({
    outdir: tempDir('kreports-cdk-test-'),
    context: {
      // Asset paths in the template metadata let tests open the bundles.
      'aws:cdk:enable-asset-metadata': true,
      ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const stack = new ReportingStack(app, props.stackName ?? 'KalturaReportingTest', {
    kaltura: { partnerId: 4242 },
    ...props,
    // `functionsDir: undefined` given explicitly means the stack's default (the real functions/).
    functionsDir: 'functionsDir' in props ? props.functionsDir : STUB_FUNCTIONS_DIR,
    config,
  });
  return { app, stack };
}

/** Logical id of an L2 construct's CloudFormation resource. */
export function logicalIdOf(stack: ReportingStack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as Parameters<ReportingStack['getLogicalId']>[0]);
}
