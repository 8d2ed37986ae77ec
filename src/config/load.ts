/** Loads the configuration: embedded defaults ← YAML file; validated once, deep-frozen. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { GatewayError } from '../errors.js';
import { inspectTlsFiles } from '../tls/index.js';
import { configSchema, RETIRED_KEYS, type GatewayConfig } from './schema.js';
import { readAuthTokenFile } from './http-auth.js';

export interface ConfigProblem {
  /** Dotted key path, e.g. `dicom.allowedPeers.0.host`; empty for the whole file. */
  path: string;
  reason: string;
}

export type ConfigResult =
  | { ok: true; config: Readonly<GatewayConfig>; source: string }
  | { ok: false; problems: ConfigProblem[]; source: string };

/** Which file to read: `--config` wins over PACS_AI_GATEWAY_CONFIG; neither means embedded defaults. */
export function configPathFrom(cliPath: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  return cliPath ?? (env.PACS_AI_GATEWAY_CONFIG || undefined);
}

export function validateConfig(raw: unknown, source: string): ConfigResult {
  const problems: ConfigProblem[] = retiredKeyProblems(raw);
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const retired = new Set(problems.map((p) => p.path));
    problems.push(...parsed.error.issues.flatMap(issueToProblems).filter((p) => !retired.has(p.path)));
  }
  if (problems.length > 0 || !parsed.success) return { ok: false, problems, source };
  problems.push(...tlsFileProblems(parsed.data));
  const tokenFile = parsed.data.http.authTokenFile;
  const fromFile = tokenFile === undefined ? undefined : readAuthTokenFile(tokenFile);
  if (fromFile?.ok === false) problems.push({ path: 'http.authTokenFile', reason: fromFile.reason });
  if (problems.length > 0 || fromFile?.ok === false) return { ok: false, problems, source };
  // The file's token is carried as http.authToken: the HTTP server reads one key.
  const http = fromFile === undefined ? parsed.data.http : { ...parsed.data.http, authToken: fromFile.token };
  const config = { ...parsed.data, http, dataDir: resolve(parsed.data.dataDir) };
  return { ok: true, config: deepFreeze(config), source };
}

/** Reads and validates a config file (or the embedded defaults when `path` is undefined). */
export function loadConfig(path: string | undefined): ConfigResult {
  if (path === undefined) return validateConfig({}, 'embedded defaults');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GatewayError('GW_ERR_CONFIG_UNREADABLE', `cannot read config file ${path}: ${(err as Error).message}`, {
      context: { file: path },
      cause: err,
    });
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      source: path,
      problems: doc.errors.map((e) => ({ path: '', reason: `YAML syntax: ${e.message.split('\n')[0] ?? e.message}` })),
    };
  }
  return validateConfig(doc.toJS() ?? {}, path);
}

export function formatProblems(source: string, problems: ConfigProblem[]): string {
  const lines = problems.map((p) => `  ${p.path === '' ? '(file)' : p.path}: ${p.reason}`);
  return `invalid configuration in ${source}:\n${lines.join('\n')}`;
}

function issueToProblems(issue: z.core.$ZodIssue): ConfigProblem[] {
  const base = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: base === '' ? key : `${base}.${key}`, reason: 'unknown key' }));
  }
  return [{ path: base, reason: issue.message }];
}

/** Certificate, key and CA files are read now, so `check-config` reports a missing or bad one before a start does. */
function tlsFileProblems(cfg: GatewayConfig): ConfigProblem[] {
  const blocks: Array<[string, Parameters<typeof inspectTlsFiles>[0] | undefined]> = [
    ['dicom.tls', cfg.dicom.tls],
    ['hl7.tls', cfg.hl7.tls],
    ...cfg.dicom.destinations.map((d, i): [string, typeof d.tls] => [`dicom.destinations.${i}.tls`, d.tls]),
    ...cfg.hl7.destinations.map((d, i): [string, typeof d.tls] => [`hl7.destinations.${i}.tls`, d.tls]),
    ['audit.collector.tls', cfg.audit.enabled ? cfg.audit.collector?.tls : undefined],
  ];
  return blocks.flatMap(([path, files]) => (files === undefined ? [] : inspectTlsFiles(files, path).problems));
}

function retiredKeyProblems(raw: unknown): ConfigProblem[] {
  return RETIRED_KEYS.filter(({ path }) => lookup(raw, path.split('.')) !== undefined).map(({ path, replacement }) => ({
    path,
    reason: `this key was renamed: use ${replacement}`,
  }));
}

function lookup(value: unknown, keys: string[]): unknown {
  let cur: unknown = value;
  for (const key of keys) {
    if (typeof cur !== 'object' || cur === null || !(key in cur)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
