/**
 * The deployed artifact as `npm run synth` writes it: the template, and for each Lambda its bundle
 * directory (`index.mjs` + `reporting-config.json`, from `Metadata['aws:asset:path']`) and its
 * `Environment.Variables`, resolved to the local peers that stand for the stack's resources.
 *
 * Resolution is deliberately strict: an intrinsic or a resource type it does not know throws
 * `UnresolvedWiringError` naming the variable, so a wiring change in the stack fails this test until
 * someone says how a deployment would see it, instead of silently passing a token to the code.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Lambda's code root; `REPORTING_CONFIG_PATH` and the handler are relative to it in AWS. */
export const LAMBDA_TASK_ROOT = '/var/task';

export class UnresolvedWiringError extends Error {
  override readonly name = 'UnresolvedWiringError';
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
  readonly Metadata?: Record<string, Json>;
}

export interface CfnTemplate {
  readonly Parameters?: Record<string, { Type: string; Default?: string }>;
  readonly Resources: Record<string, CfnResource>;
}

export interface DeployedFunction {
  readonly logicalId: string;
  /** The construct path, e.g. `KalturaReporting/Receiver/Function/Resource`. */
  readonly constructPath: string;
  /** Absolute path of the bundle directory (what Lambda unpacks to /var/task). */
  readonly assetDir: string;
  /** `index.handler` -> file `index.mjs`/`index.js` in assetDir, export `handler`. */
  readonly handler: string;
  readonly runtime: string;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  /** Logical id of the execution role (`Role: {Fn::GetAtt: [id, Arn]}`), if the template creates it. */
  readonly roleLogicalId?: string;
  /** The template's variables, unresolved. */
  readonly environment: Record<string, Json>;
}

export interface Synthesized {
  readonly outdir: string;
  readonly stackName: string;
  readonly template: CfnTemplate;
}

/**
 * `npm run synth -o <outdir>` as a user runs it, offline: no AWS credentials or region, none of the
 * developer's Kaltura or kreports settings (as test/infra/variants.test.ts), and the project's
 * default configuration and functions.
 */
export function synthesize(outdir: string, extraArgs: string[] = []): Synthesized {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AWS_|CDK_|KALTURA_|KREPORTS_|REPORTING_CONFIG)/.test(k)));
  const result = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'synth.js'), '-o', outdir, ...extraArgs], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: { ...clean, AWS_EC2_METADATA_DISABLED: 'true' },
    timeout: 240_000,
  });
  if (result.status !== 0) throw new Error(`npm run synth failed (status ${result.status}): ${(result.stderr || String(result.error ?? '')).slice(-2000)}`);
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { type: string; properties?: { templateFile: string } }> };
  const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  if (stacks.length !== 1) throw new Error(`expected one stack in ${outdir}, found ${stacks.length}`);
  const [stackName, artifact] = stacks[0]!;
  return { outdir, stackName, template: JSON.parse(readFileSync(join(outdir, artifact.properties!.templateFile), 'utf8')) as CfnTemplate };
}

/** Every `AWS::Lambda::Function` of the template with its bundle directory. */
export function deployedFunctions(synth: Synthesized): DeployedFunction[] {
  return Object.entries(synth.template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([logicalId, r]) => {
      const assetPath = r.Metadata?.['aws:asset:path'];
      if (typeof assetPath !== 'string') throw new UnresolvedWiringError(`${logicalId} has no aws:asset:path metadata: its code is not a local bundle`);
      const assetDir = isAbsolute(assetPath) ? assetPath : join(synth.outdir, assetPath);
      const props = r.Properties ?? {};
      const role = props.Role as { 'Fn::GetAtt'?: [string, string] } | undefined;
      return {
        ...(role?.['Fn::GetAtt'] ? { roleLogicalId: role['Fn::GetAtt'][0] } : {}),
        logicalId,
        constructPath: String(r.Metadata?.['aws:cdk:path'] ?? logicalId),
        assetDir,
        handler: String(props.Handler),
        runtime: String(props.Runtime),
        memorySize: Number(props.MemorySize ?? 128),
        timeoutSeconds: Number(props.Timeout ?? 3),
        environment: ((props.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {}) as Record<string, Json>,
      };
    });
}

/** The function whose construct path is `<stack>/<id>/...` (e.g. `Receiver`, `ExportWorker`). */
export function functionNamed(functions: ReadonlyArray<DeployedFunction>, constructId: string): DeployedFunction {
  const found = functions.filter((f) => f.constructPath.split('/')[1] === constructId);
  if (found.length !== 1) throw new Error(`expected one function under construct ${constructId}, found ${found.map((f) => f.constructPath).join(', ') || 'none'}`);
  return found[0]!;
}

/** `index.handler` -> the bundle file and the export name, as the Node.js runtime resolves them. */
export function handlerEntry(fn: DeployedFunction): { file: string; exportName: string } {
  const dot = fn.handler.lastIndexOf('.');
  const base = fn.handler.slice(0, dot);
  const exportName = fn.handler.slice(dot + 1);
  for (const ext of ['.mjs', '.js', '.cjs']) {
    const file = join(fn.assetDir, base + ext);
    if (existsSync(file)) return { file, exportName };
  }
  throw new UnresolvedWiringError(`${fn.logicalId}: handler "${fn.handler}" names no file ${base}.mjs/.js/.cjs in ${fn.assetDir}`);
}

/** What a resource of the stack is, locally: its `Ref` and its attributes. */
export interface LocalResource {
  readonly ref: string;
  readonly attributes?: Readonly<Record<string, string>>;
}

export interface ResolveContext {
  /** Local stand-ins by logical id. A resource referenced but missing here is an error. */
  readonly resources: Readonly<Record<string, LocalResource>>;
  /** Template parameters (e.g. `KalturaPartnerId`) and pseudo parameters (`AWS::Region`...). */
  readonly parameters: Readonly<Record<string, string>>;
}

/** Resolves one CloudFormation value (a literal or Ref / Fn::GetAtt / Fn::Join / Fn::Select / Fn::Sub). */
export function resolveValue(value: Json, ctx: ResolveContext, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || Array.isArray(value)) throw new UnresolvedWiringError(`${where}: ${JSON.stringify(value)} is not a string`);
  const keys = Object.keys(value);
  if (keys.length !== 1) throw new UnresolvedWiringError(`${where}: ${JSON.stringify(value)} is not one intrinsic function`);
  const fn = keys[0]!;
  const arg = value[fn]!;
  switch (fn) {
    case 'Ref': {
      const name = String(arg);
      if (name in ctx.parameters) return ctx.parameters[name]!;
      const local = ctx.resources[name];
      if (local) return local.ref;
      throw new UnresolvedWiringError(`${where}: Ref to "${name}", which has no local stand-in (add one, or it is a wiring mistake)`);
    }
    case 'Fn::GetAtt': {
      const [id, attribute] = (typeof arg === 'string' ? arg.split('.') : arg) as [string, string];
      const found = ctx.resources[id]?.attributes?.[attribute];
      if (found === undefined) throw new UnresolvedWiringError(`${where}: Fn::GetAtt ${id}.${attribute} has no local stand-in`);
      return found;
    }
    case 'Fn::Join': {
      const [delimiter, parts] = arg as [string, Json[]];
      return parts.map((p, i) => resolveValue(p, ctx, `${where}[${i}]`)).join(delimiter);
    }
    case 'Fn::Select': {
      const [index, list] = arg as [Json, Json];
      if (!Array.isArray(list)) throw new UnresolvedWiringError(`${where}: Fn::Select over ${JSON.stringify(list)}`);
      return resolveValue(list[Number(resolveValue(index, ctx, where))]!, ctx, where);
    }
    case 'Fn::Sub': {
      const [text, vars] = (typeof arg === 'string' ? [arg, {}] : arg) as [string, Record<string, Json>];
      return text.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
        if (name in vars) return resolveValue(vars[name]!, ctx, where);
        const [id, attribute] = name.split('.');
        return attribute ? resolveValue({ 'Fn::GetAtt': [id!, attribute] }, ctx, where) : resolveValue({ Ref: id! }, ctx, where);
      });
    }
    default:
      throw new UnresolvedWiringError(`${where}: intrinsic ${fn} is not understood by the deployed-artifact test`);
  }
}

/**
 * A function's environment as Lambda would give it: every template variable resolved against the
 * local stand-ins; a path under /var/task mapped into the bundle directory (`REPORTING_CONFIG_PATH`);
 * `overrides` for the few values that name a remote service the test replaces (the Kaltura URL) —
 * each override must name a variable the template does set, so a renamed variable is noticed.
 */
export function resolveEnvironment(fn: DeployedFunction, ctx: ResolveContext, overrides: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(fn.environment)) {
    let resolved = resolveValue(value, ctx, `${fn.logicalId} ${name}`);
    if (resolved === LAMBDA_TASK_ROOT || resolved.startsWith(`${LAMBDA_TASK_ROOT}/`)) resolved = join(fn.assetDir, resolved.slice(LAMBDA_TASK_ROOT.length));
    env[name] = resolved;
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (!(name in env)) throw new UnresolvedWiringError(`${fn.logicalId}: the template sets no ${name}; the test's override for it is stale`);
    env[name] = value;
  }
  return env;
}

/** The KeySchema and AttributeDefinitions of a DynamoDB table resource (Table or GlobalTable). */
export function tableKeySchema(template: CfnTemplate, logicalId: string): { KeySchema: Array<{ AttributeName: string; KeyType: string }>; AttributeDefinitions: Array<{ AttributeName: string; AttributeType: string }> } {
  const r = template.Resources[logicalId];
  if (!r || !/^AWS::DynamoDB::(Global)?Table$/.test(r.Type)) throw new Error(`${logicalId} is not a DynamoDB table`);
  return { KeySchema: r.Properties!.KeySchema as never, AttributeDefinitions: r.Properties!.AttributeDefinitions as never };
}

/** Logical ids of the resources of a type. */
export function resourcesOfType(template: CfnTemplate, type: string): string[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id);
}

export interface PolicyStatement {
  readonly actions: string[];
  /** Resolved ARNs (patterns with `*` and `?`); resources without a local stand-in are left out. */
  readonly resources: string[];
}

/**
 * The Allow statements of a role's identity policies (`AWS::IAM::Policy` attached to it and the
 * role's inline `Policies`), resources resolved with `ctx`. Deny statements, conditions and managed
 * policies (log writing) are not modelled: the stand-ins only judge the calls the functions make.
 */
export function allowStatementsOf(template: CfnTemplate, roleLogicalId: string, ctx: ResolveContext): PolicyStatement[] {
  const documents: Json[] = [];
  for (const r of Object.values(template.Resources)) {
    if (r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles ?? []).includes(`{"Ref":"${roleLogicalId}"}`)) documents.push(r.Properties!.PolicyDocument!);
  }
  for (const p of (template.Resources[roleLogicalId]?.Properties?.Policies ?? []) as Array<{ PolicyDocument: Json }>) documents.push(p.PolicyDocument);
  const list = (v: Json | undefined): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const statements: PolicyStatement[] = [];
  for (const doc of documents) {
    for (const st of list((doc as { Statement?: Json }).Statement) as Array<{ Effect?: string; Action?: Json; Resource?: Json }>) {
      if (st.Effect !== 'Allow') continue;
      const resources: string[] = [];
      for (const res of list(st.Resource)) {
        try {
          resources.push(resolveValue(res, ctx, `policy of ${roleLogicalId}`));
        } catch (error) {
          if (!(error instanceof UnresolvedWiringError)) throw error;
        }
      }
      statements.push({ actions: list(st.Action).map(String), resources });
    }
  }
  return statements;
}

/** IAM's wildcard match: `*` any run of characters, `?` one character. */
export function iamPatternMatches(pattern: string, value: string, caseInsensitive = false): boolean {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^${escaped.replace(/\*/g, '.*').replace(/\?/g, '.')}$`, caseInsensitive ? 'i' : '');
  return re.test(value);
}

/** Does any statement allow `action` on `resource`? */
export function allows(statements: ReadonlyArray<PolicyStatement>, action: string, resource: string): boolean {
  return statements.some((st) => st.actions.some((a) => iamPatternMatches(a, action, true)) && st.resources.some((r) => iamPatternMatches(r, resource)));
}

