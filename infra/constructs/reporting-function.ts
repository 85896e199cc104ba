/**
 * A project Lambda: `NodejsFunction` bundled locally with esbuild (no Docker), ESM with the
 * createRequire banner, Node 22 on arm64, its own log group with retention, and a role that starts
 * with nothing but write access to that log group — every other permission comes from a grant.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, RecursiveLoop, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { copyConfigCommand } from '../config-asset.js';
import { ESBUILD_OPTIONS, LAMBDA_NODE_TARGET } from '../bundling.js';

export interface ReportingFunctionProps {
  /** Directory holding `<functionName>/index.ts`. */
  readonly functionsDir: string;
  readonly functionName: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment: Record<string, string>;
  /** Generated `reporting-config.json` copied into the bundle. */
  readonly bundledConfigFile: string;
  readonly logRetention: RetentionDays;
  /** Root of the npm project (package-lock.json). */
  readonly projectRoot: string;
  /** Allow Lambda -> SQS -> same Lambda chains (re-polling workers). Default false (loops are stopped). */
  readonly allowRecursiveLoop?: boolean;
}

/** Bundling props: the same esbuild options the bundle benchmark uses (infra/bundling.ts). */
export function reportingBundlingProps(bundledConfigFile: string): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: LAMBDA_NODE_TARGET,
    minify: ESBUILD_OPTIONS.minify,
    sourceMap: ESBUILD_OPTIONS.sourcemap,
    banner: ESBUILD_OPTIONS.banner.js,
    mainFields: [...ESBUILD_OPTIONS.mainFields],
    // Quiet synth: esbuild reports only warnings and errors.
    logLevel: LogLevel.WARNING,
    // Bundle the AWS SDK (pinned by the lockfile, tree-shaken) instead of the runtime's copy.
    bundleAwsSDK: true,
    externalModules: [...ESBUILD_OPTIONS.external],
    esbuildArgs: Object.fromEntries(Object.entries(ESBUILD_OPTIONS.alias).map(([from, to]) => [`--alias:${from}`, to])),
    // Docker is not needed (nor running on CI): the esbuild devDependency bundles locally.
    forceDockerBundling: false,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir: string, outputDir: string) => [copyConfigCommand(bundledConfigFile, outputDir)],
    },
  };
}

/** A deployment setting the user must fix: synth prints the message (no stack trace) and stops. */
export class StackSettingError extends Error {
  override readonly name: string = 'StackSettingError';
}

/** A function's entry point does not exist. */
export class MissingFunctionError extends StackSettingError {
  override readonly name = 'MissingFunctionError';
}

export class ReportingFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;
  /** Absolute path of the bundled entry point. */
  readonly entry: string;

  constructor(scope: Construct, id: string, props: ReportingFunctionProps) {
    super(scope, id);
    const entry = join(props.functionsDir, props.functionName, 'index.ts');
    this.entry = entry;
    if (!existsSync(entry)) {
      throw new MissingFunctionError(`Lambda entry point ${relative(process.cwd(), entry) || entry} is missing: every function lives in functions/<name>/index.ts and exports "handler".`);
    }
    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.functionName}: log writes plus the grants the stack adds`,
    });
    this.logGroup.grantWrite(this.role);
    this.fn = new NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize,
      environment: props.environment,
      role: this.role,
      logGroup: this.logGroup,
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, 'package-lock.json'),
      bundling: reportingBundlingProps(props.bundledConfigFile),
      recursiveLoop: props.allowRecursiveLoop ? RecursiveLoop.ALLOW : RecursiveLoop.TERMINATE,
    });
  }
}
