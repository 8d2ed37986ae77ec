/** `pacs-ai-gateway resend ID`: a dead letter delivered again, through the running daemon or, without one, in the database. */
import { join } from 'node:path';
import { SqliteOutboxQueue, openDatabase } from '../db/index.js';
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
  const db = openDatabase(join(config.dataDir, 'gateway.sqlite'));
  try {
    if ((await new SqliteOutboxQueue(db).resend(id, Date.now())) !== undefined) {
      process.stdout.write(`outbox item ${id} will be delivered when the daemon starts\n`);
      return ExitCode.Ok;
    }
    process.stderr.write(`resend: no dead or pending outbox item ${id}\n`);
    return ExitCode.Failure;
  } finally {
    db.close();
  }
}
