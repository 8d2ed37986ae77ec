/**
 * `pacs-ai-gateway status`: queue depths, jobs by state, dead letters and the latest errors. Asks the running
 * daemon (`GET /api/status`); when none answers, reads the SQLite file read-only, so it also works on a stopped
 * gateway (and says which source it used).
 */
import { join } from 'node:path';
import { NodesRepo, PgNodesRepo, PgStatusReader, StatusRepo, openDatabaseReadOnly, openPgPool, type NodeRegister, type StatusReader } from '../db/index.js';
import type { GatewayConfig } from '../config/index.js';
import { silentLogger } from '../log.js';
import { listNodeStatus } from '../flows/status/index.js';
import type { StatusReport } from '../http/index.js';
import { describeError } from '../errors.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { daemonHeaders, daemonUrl, readConfigOrExit } from './config-file.js';

/** How long to wait for the daemon before reading the database instead. */
const DAEMON_TIMEOUT_MS = 3000;

export interface StatusCommandOptions {
  config?: string;
  json?: boolean;
}

export type StatusSource = { kind: 'daemon'; url: string } | { kind: 'database'; path: string; daemonError: string };


export async function statusCommand(opts: StatusCommandOptions): Promise<ExitCodeValue> {
  const { config } = readConfigOrExit(opts.config);
  const url = `${daemonUrl(config)}/api/status`;
  let summary: StatusReport;
  let source: StatusSource;
  try {
    summary = await fetchStatus(url, daemonHeaders(config));
    source = { kind: 'daemon', url };
  } catch (err) {
    const path = config.database?.url === undefined ? join(config.dataDir, 'gateway.sqlite') : `PostgreSQL ${redactedUrl(config.database.url)}`;
    try {
      summary = await readStatusFromDatabase(config);
    } catch (dbErr) {
      process.stderr.write(`status: no daemon answered at ${url} (${describeError(err)}), and ${describeError(dbErr)}\n`);
      return ExitCode.Failure;
    }
    source = { kind: 'database', path, daemonError: describeError(err) };
  }
  process.stdout.write(opts.json === true ? `${JSON.stringify({ source, ...summary }, null, 2)}\n` : formatStatus(summary, source));
  return ExitCode.Ok;
}

/** The same report, read from the database itself: SQLite read-only beside a running writer, or PostgreSQL. */
async function readStatusFromDatabase(config: Readonly<GatewayConfig>): Promise<StatusReport> {
  const report = async (nodes: NodeRegister, status: StatusReader): Promise<StatusReport> => ({ nodes: await listNodeStatus(nodes, config.cluster.heartbeatSeconds * 1000), ...(await status.summary()) });
  const url = config.database?.url;
  if (url !== undefined) {
    const pool = openPgPool({ connectionString: url, max: 2, connectTimeoutMs: config.database?.connectTimeoutMs ?? 5_000, applicationName: 'pacs-ai-gateway status', log: silentLogger });
    try {
      return await report(new PgNodesRepo(pool), new PgStatusReader(pool));
    } finally {
      await pool.end();
    }
  }
  const db = openDatabaseReadOnly(join(config.dataDir, 'gateway.sqlite'));
  try {
    return await report(new NodesRepo(db), new StatusRepo(db));
  } finally {
    db.close();
  }
}

/** The URL without its password, for messages. */
function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

async function fetchStatus(url: string, headers: Record<string, string>): Promise<StatusReport> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(DAEMON_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return (await res.json()) as StatusReport;
}

/** The human-readable form: one block per topic, dead letters and errors last (what needs action). */
export function formatStatus(s: StatusReport, source: StatusSource): string {
  const lines: string[] = [];
  lines.push(source.kind === 'daemon' ? `source: running daemon (${source.url})` : `source: database ${source.path} (daemon not answering: ${source.daemonError})`);
  if (s.nodes.length > 0) {
    lines.push('nodes:');
    const w = Math.max(...s.nodes.map((n) => n.name.length), 'node'.length);
    lines.push(`  ${'node'.padEnd(w)}  state    roles                     last heartbeat (UTC)`);
    for (const n of s.nodes) lines.push(`  ${n.name.padEnd(w)}  ${n.state.padEnd(7)}  ${n.roles.join(',').padEnd(24)}  ${n.heartbeatAt}`);
  }
  lines.push(`studies: ${s.studies.receiving} receiving, ${s.studies.complete} complete, ${s.studies.purged} purged by retention`);
  lines.push(`jobs: ${Object.entries(s.jobs).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  if (s.outbox.length === 0) lines.push('outbox: empty');
  else {
    lines.push('outbox:');
    const w = Math.max(...s.outbox.map((d) => d.destination.length), 'destination'.length);
    lines.push(`  ${'destination'.padEnd(w)}  kind   pending  sending  delivered  dead`);
    for (const d of s.outbox) {
      lines.push(`  ${d.destination.padEnd(w)}  ${d.kind.padEnd(5)}  ${String(d.pending).padStart(7)}  ${String(d.sending).padStart(7)}  ${String(d.delivered).padStart(9)}  ${String(d.dead).padStart(4)}`);
    }
  }
  lines.push(`dead letters: ${s.deadLetters}${s.deadLetters > 0 ? ' (pacs-ai-gateway resend ID)' : ''}`);
  if (s.lastErrors.length === 0) lines.push('last errors: none');
  else {
    lines.push('last errors:');
    for (const e of s.lastErrors) {
      const where = e.source === 'outbox' ? `outbox ${e.id} → ${e.destination ?? '?'}` : `job ${e.id}`;
      lines.push(`  ${e.at}  ${where} (${e.state}, ${e.attempts} attempts): ${e.error}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
