/** Study rows as the API and the result writers read them, on PostgreSQL (db/studies-repo.ts on SQLite). */
import { toStudySummary, type StudiesReader, type StudyRow, type StudySummary } from '../studies-repo.js';
import { guarded, rows, type Pool } from './pool.js';

export class PgStudiesReader implements StudiesReader {
  constructor(private readonly pool: Pool) {}

  accessionOf(studyInstanceUid: string): Promise<string | undefined> {
    return guarded('read accession', 'studies', async () => {
      const [row] = await rows<{ a: string }>(this.pool, 'SELECT accession_number AS a FROM studies WHERE study_instance_uid = $1', [studyInstanceUid]);
      return row?.a;
    });
  }

  linkedTo(studyInstanceUid: string, accessionNumber: string): Promise<string[]> {
    return guarded('link a report', 'studies', async () =>
      (
        await rows<{ u: string }>(
          this.pool,
          `SELECT study_instance_uid AS u FROM studies WHERE study_instance_uid = $1 OR ($2 <> '' AND accession_number = $2)
            ORDER BY study_instance_uid`,
          [studyInstanceUid, accessionNumber],
        )
      ).map((r) => r.u),
    );
  }

  list(options: { limit: number; offset: number }): Promise<StudySummary[]> {
    return guarded('list', 'studies', async () =>
      (
        await rows<StudyRow>(
          this.pool,
          `SELECT s.study_instance_uid, s.accession_number, s.status, s.first_received_at, s.completed_at, s.purged_at,
                  (SELECT string_agg(DISTINCT i.modality, ',') FROM instances i WHERE i.study_instance_uid = s.study_instance_uid) AS modalities,
                  (SELECT COUNT(*) FROM instances i WHERE i.study_instance_uid = s.study_instance_uid) AS n
             FROM studies s ORDER BY s.last_received_at DESC LIMIT $1 OFFSET $2`,
          [options.limit, options.offset],
        )
      ).map(toStudySummary),
    );
  }
}
