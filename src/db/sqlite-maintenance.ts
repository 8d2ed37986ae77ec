/**
 * SQLite upkeep: a TRUNCATE checkpoint folds the WAL into the database and shrinks the -wal file (it grows with
 * every commit until a checkpoint can complete); PRAGMA optimize, run before it, refreshes the planner's statistics.
 */
import { statSync } from 'node:fs';
import type { Db } from './database.js';

export interface DbMaintenanceReport {
  /** 1 when a reader or writer kept the checkpoint from completing; the next run tries again. */
  checkpointBusy: number;
  /** Size of the -wal file before and after. */
  walBytesBefore: number;
  walBytesAfter: number;
}

export function maintainSqlite(db: Db): DbMaintenanceReport {
  const walBytesBefore = walBytes(db);
  db.pragma('optimize'); // first: its ANALYZE writes go through the WAL too
  const [row] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
  return { checkpointBusy: row?.busy ?? 0, walBytesBefore, walBytesAfter: walBytes(db) };
}

function walBytes(db: Db): number {
  try {
    return statSync(`${db.name}-wal`).size;
  } catch {
    return 0; // no WAL file (in-memory database, or none written yet)
  }
}
