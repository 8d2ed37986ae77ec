/** Loads the configuration: embedded defaults ← YAML file; validated once, deep-frozen. */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
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
  const urlFile = parsed.data.database?.urlFile;
  const url = urlFile === undefined ? undefined : readDatabaseUrlFile(urlFile);
  if (url?.ok === false) problems.push({ path: 'database.urlFile', reason: url.reason });
  if (problems.length > 0 || fromFile?.ok === false || url?.ok === false) return { ok: false, problems, source };
  // The files' secrets are carried as http.authToken and database.url: the server and the pool read one key each.
  const http = fromFile === undefined ? parsed.data.http : { ...parsed.data.http, authToken: fromFile.token };
  const database = parsed.data.database === undefined || url === undefined ? parsed.data.database : { ...parsed.data.database, url: url.url };
  const cluster = { ...parsed.data.cluster, nodeName: nodeNameOf(parsed.data) };
  const config = { ...parsed.data, http, database, cluster, dataDir: resolve(parsed.data.dataDir) };
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

/** cluster.nodeName, else the host name and the DICOM port: two nodes on one host differ by their port. */
export function nodeNameOf(config: Pick<GatewayConfig, 'cluster' | 'dicom'>): string {
  return config.cluster.nodeName ?? `${hostname()}-${config.dicom.port}`;
}

/** The first line of database.urlFile, trimmed; a problem is a sentence naming the file. */
function readDatabaseUrlFile(path: string): { ok: true; url: string } | { ok: false; reason: string } {
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (err) {
    return { ok: false, reason: `cannot read the database URL file ${absolute}: ${(err as Error).message}` };
  }
  const url = (text.split(/\r?\n/, 1)[0] ?? '').trim();
  if (!/^postgres(ql)?:\/\//.test(url)) return { ok: false, reason: `the first line of ${absolute} must be a PostgreSQL URL (postgres://user:password@host:5432/database?sslmode=verify-full)` };
  return { ok: true, url };
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
