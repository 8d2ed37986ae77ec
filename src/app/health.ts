/** /healthz and /readyz: whether the process can do its job now, from the resources the composition root holds. */
import type { ModelStatus } from '../ai/index.js';
import type { HealthReport } from '../http/index.js';
import type { Spool } from '../storage/index.js';

export interface HealthDeps {
  /** Throws unless the database takes writes now (SQLite: the write lock; PostgreSQL: a primary answers). */
  probeDatabase: () => Promise<void>;
  spool: Pick<Spool, 'probe'>;
  /** Why the disk refuses new data (below its watermark), or undefined. */
  diskRefusal: () => string | undefined;
  models: () => readonly ModelStatus[];
}

/** Liveness: the database is writable and the spool takes a file. */
export async function checkHealth(deps: HealthDeps): Promise<HealthReport> {
  const checks: HealthReport['checks'] = {};
  try {
    await deps.probeDatabase();
    checks.database = { ok: true };
  } catch (err) {
    checks.database = { ok: false, detail: (err as Error).message };
  }
  try {
    await deps.spool.probe();
    checks.spool = { ok: true };
  } catch (err) {
    checks.spool = { ok: false, detail: (err as Error).message };
  }
  // Low disk is reported but does not fail liveness: a restart would not free space (/readyz will say it).
  const lowDisk = deps.diskRefusal();
  checks.disk = lowDisk === undefined ? { ok: true } : { ok: false, detail: lowDisk };
  return { ok: checks.database.ok && checks.spool.ok, checks };
}

/** Readiness: healthy, above the disk watermark, and every image model loaded. */
export async function checkReady(deps: HealthDeps): Promise<HealthReport> {
  const health = await checkHealth(deps);
  const models = deps.models().map((m) => ({ ...m }));
  const failed = models.filter((m) => m.state !== 'loaded');
  health.checks.models = failed.length === 0 ? { ok: true } : { ok: false, detail: failed.map((m) => `${m.id}: ${m.error ?? m.state}`).join('; ') };
  return { ok: health.ok && health.checks.disk?.ok === true && failed.length === 0, checks: health.checks, models };
}
