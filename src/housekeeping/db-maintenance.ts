/**
 * SQLite upkeep: a TRUNCATE checkpoint folds the WAL into the database and shrinks the -wal file (it grows with
 * every commit until a checkpoint can complete), then PRAGMA optimize refreshes the planner's statistics.
 */
import type { Db } from '../db/index.js';

export interface DbMaintenanceReport {
  /** 1 when a reader or writer kept the checkpoint from completing; the next run tries again. */
  checkpointBusy: number;
  /** WAL frames before the checkpoint, and how many were written back. */
  walFrames: number;
  checkpointedFrames: number;
}

export function maintainDatabase(db: Db): DbMaintenanceReport {
  const [row] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number; checkpointed: number }>;
  db.pragma('optimize');
  return { checkpointBusy: row?.busy ?? 0, walFrames: row?.log ?? 0, checkpointedFrames: row?.checkpointed ?? 0 };
}
