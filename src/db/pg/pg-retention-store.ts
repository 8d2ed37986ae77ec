/**
 * What spool retention may purge, and the purge itself, on PostgreSQL (db/retention-repo.ts on SQLite; the same
 * eligibility predicate, `PURGEABLE`). The purge locks the study row before anything else, the lock order of the
 * instance writers (pg-instances-store.ts): an instance arriving for the study waits, and then re-opens it after
 * the purge, as on SQLite; the eligibility is read after the lock, so it sees every commit before it.
 */
import { isoNow } from '../database.js';
import { PURGEABLE, type PurgeCandidate, type PurgedStudy, type RetentionStore } from '../retention-repo.js';
import { guarded, pgTransaction, rows, type Pool } from './pool.js';

export class PgRetentionStore implements RetentionStore {
  constructor(private readonly pool: Pool) {}

  candidates(): Promise<PurgeCandidate[]> {
    return guarded('list purge candidates', 'studies', async () =>
      (
        await rows<{ study_instance_uid: string; last_received_at: string; n: number; bytes: number }>(
          this.pool,
          // SUM of a bigint is numeric (a string through pg): cast back, byte counts stay far below 2^53
          `SELECT s.study_instance_uid, s.last_received_at,
                  (SELECT COUNT(*) FROM instances i WHERE i.study_instance_uid = s.study_instance_uid) AS n,
                  (SELECT COALESCE(SUM(size_bytes), 0)::bigint FROM instances i WHERE i.study_instance_uid = s.study_instance_uid) AS bytes
             FROM studies s WHERE ${PURGEABLE}
            ORDER BY s.last_received_at, s.study_instance_uid`,
          [],
        )
      ).map((r) => ({ studyInstanceUid: r.study_instance_uid, lastReceivedAt: r.last_received_at, instanceCount: r.n, bytes: r.bytes })),
    );
  }

  totalInstanceBytes(): Promise<number> {
    return guarded('sum instance bytes', 'instances', async () => {
      const [row] = await rows<{ b: number }>(this.pool, 'SELECT COALESCE(SUM(size_bytes), 0)::bigint AS b FROM instances', []);
      return row?.b ?? 0;
    });
  }

  purge(studyInstanceUid: string, nowMs: number): Promise<PurgedStudy | undefined> {
    return guarded('purge', 'studies', () =>
      pgTransaction(this.pool, async ({ client }) => {
        if ((await rows(client, 'SELECT 1 FROM studies WHERE study_instance_uid = $1 FOR UPDATE', [studyInstanceUid])).length === 0) return undefined;
        const [eligible] = await rows<{ n: number }>(client, `SELECT COUNT(*) AS n FROM studies s WHERE s.study_instance_uid = $1 AND ${PURGEABLE}`, [studyInstanceUid]);
        if (eligible?.n !== 1) return undefined;
        const instances = await rows<{ path: string; size_bytes: number }>(client, 'SELECT path, size_bytes FROM instances WHERE study_instance_uid = $1', [studyInstanceUid]);
        const bytes = instances.reduce((sum, r) => sum + r.size_bytes, 0);
        const results = await rows<{ payload: string }>(
          client,
          `SELECT DISTINCT payload FROM outbox WHERE study_instance_uid = $1 AND kind = 'dicom' AND state = 'delivered' ORDER BY payload`,
          [studyInstanceUid],
        );
        await client.query('DELETE FROM instances WHERE study_instance_uid = $1', [studyInstanceUid]);
        await client.query(
          'UPDATE studies SET purged_at = $1, purged_instances = purged_instances + $2, purged_bytes = purged_bytes + $3 WHERE study_instance_uid = $4',
          [isoNow(nowMs), instances.length, bytes, studyInstanceUid],
        );
        return { studyInstanceUid, instancePaths: instances.map((r) => r.path), resultPaths: results.map((r) => r.payload), bytes };
      }),
    );
  }
}
