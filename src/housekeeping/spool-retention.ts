/**
 * Spool retention: deletes the instance files of delivered studies, by age and by total size, oldest first. What
 * may go is decided by the RetentionStore (complete, analysed, every outbox row delivered); this module only decides how
 * much and deletes. Result SRs go only with their delivered rows; the SR of a study without destinations stays
 * (it is the only copy). A study that receives an instance after its purge is received, analysed and delivered
 * again with what is then in the spool; its `purgedAt` stays as the record of the earlier purge.
 */
import type { RetentionStore } from '../db/index.js';
import type { Logger } from '../log.js';
import type { Spool } from '../storage/index.js';

const DAY_MS = 86_400_000;

export interface RetentionPolicy {
  /** Studies quiet for longer than this are purged. Undefined: no age limit. */
  maxAgeDays?: number | undefined;
  /** Purge oldest first while indexed instances exceed this. Undefined: no size limit. */
  maxTotalBytes?: number | undefined;
}

export interface RetentionDeps {
  retention: RetentionStore;
  spool: Pick<Spool, 'remove'>;
  log: Logger;
}

export interface RetentionReport {
  purgedStudies: number;
  purgedInstances: number;
  purgedBytes: number;
  /** Set when the spool is still above maxTotalBytes because every remaining study is undelivered. */
  overLimitBytes?: number;
}

/** One retention pass. Undefined policy limits do nothing; a study that stops qualifying midway is skipped. */
export async function runRetention(deps: RetentionDeps, policy: RetentionPolicy, nowMs: number): Promise<RetentionReport> {
  const report: RetentionReport = { purgedStudies: 0, purgedInstances: 0, purgedBytes: 0 };
  if (policy.maxAgeDays === undefined && policy.maxTotalBytes === undefined) return report;
  const cutoff = policy.maxAgeDays === undefined ? undefined : new Date(nowMs - policy.maxAgeDays * DAY_MS).toISOString();
  let total = await deps.retention.totalInstanceBytes();
  for (const c of await deps.retention.candidates()) {
    const tooOld = cutoff !== undefined && c.lastReceivedAt < cutoff;
    const tooBig = policy.maxTotalBytes !== undefined && total > policy.maxTotalBytes;
    // Candidates come oldest first: once neither limit applies to one, none applies to those after it.
    if (!tooOld && !tooBig) break;
    const purged = await deps.retention.purge(c.studyInstanceUid, nowMs);
    if (purged === undefined) continue;
    const removal = await deps.spool.remove([...purged.instancePaths, ...purged.resultPaths]);
    // Rows are gone already: a file that stays is an orphan that costs space, not an error the next pass can fix.
    for (const f of removal.failed) deps.log.error('cannot delete a purged spool file', { err: f.reason });
    total -= purged.bytes;
    report.purgedStudies += 1;
    report.purgedInstances += purged.instancePaths.length;
    report.purgedBytes += purged.bytes;
    // The UID is debug-only (docs/architecture.md: no identifiers at info level); the counts say what happened.
    deps.log.info('study purged from the spool', { instances: purged.instancePaths.length, bytes: purged.bytes, reason: tooOld ? 'maxAgeDays' : 'maxTotalBytes' });
    deps.log.debug('purged study', { studyInstanceUid: purged.studyInstanceUid });
  }
  if (policy.maxTotalBytes !== undefined && total > policy.maxTotalBytes) {
    report.overLimitBytes = total - policy.maxTotalBytes;
    deps.log.warn('spool above housekeeping.retention.maxTotalBytes: the remaining studies are not delivered yet', { totalBytes: total, maxTotalBytes: policy.maxTotalBytes });
  }
  return report;
}
