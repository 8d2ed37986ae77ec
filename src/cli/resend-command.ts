/** `pacs-ai-gateway resend ID`: a dead letter delivered again, through the running daemon or, without one, in the database. */
import { join } from 'node:path';
import { PgOutboxQueue, SqliteOutboxQueue, openDatabase, openPgPool } from '../db/index.js';
import { silentLogger } from '../log.js';
import { ExitCode, UsageError, type ExitCodeValue } from './exit-codes.js';
import { daemonHeaders, daemonUrl, readConfigOrExit } from './config-file.js';

export async function resendCommand(idText: string, cliPath: string | undefined): Promise<ExitCodeValue> {
  const { config } = readConfigOrExit(cliPath);
  const id = Number(idText);
  if (!Number.isInteger(id) || id < 1) throw new UsageError(`resend: "${idText}" is not an outbox id (see GET /api/outbox or pacs-ai-gateway status)`);
  try {
    const res = await fetch(`${daemonUrl(config)}/api/outbox/${id}/resend`, { method: 'POST', headers: daemonHeaders(config) });
    if (res.status === 202) {
      process.stdout.write(`outbox item ${id} queued for delivery now\n`);
      return ExitCode.Ok;
    }
    process.stderr.write(`resend: ${((await res.json()) as { error?: string }).error ?? `HTTP ${res.status}`}\n`);
    return ExitCode.Failure;
  } catch {
    // No daemon listening: mark the row in the database; the daemon delivers it when it starts.
  }
  const resent = await resendInDatabase(config.database?.url, config.dataDir, id);
  if (resent) {
    process.stdout.write(`outbox item ${id} will be delivered when a daemon with the delivery role runs\n`);
    return ExitCode.Ok;
  }
  process.stderr.write(`resend: no dead or pending outbox item ${id}\n`);
  return ExitCode.Failure;
}

/** Marks the row due in the database itself: SQLite in dataDir, or the cluster's PostgreSQL. */
async function resendInDatabase(url: string | undefined, dataDir: string, id: number): Promise<boolean> {
  if (url !== undefined) {
    const pool = openPgPool({ connectionString: url, max: 1, applicationName: 'pacs-ai-gateway resend', log: silentLogger });
    try {
      return (await new PgOutboxQueue(pool).resend(id, Date.now())) !== undefined;
    } finally {
      await pool.end();
    }
  }
  const db = openDatabase(join(dataDir, 'gateway.sqlite'));
  try {
    return (await new SqliteOutboxQueue(db).resend(id, Date.now())) !== undefined;
  } finally {
    db.close();
  }
}
