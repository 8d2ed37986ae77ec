import { expect } from 'chai';
import { join } from 'node:path';
import { Hl7MessagesRepo, OutboxRepo, ResultsRepo, SqliteJobQueue, SqliteOutboxQueue, StudiesRepo, openDatabase, type StoredInstance } from '../../../../src/db/index.js';
import { queueReportSr, type ReportSrDeps } from '../../../../src/flows/results/report-sr.js';
import type { ReportFinding } from '../../../../src/nlp/index.js';
import { parseFindingsSr } from '../../../../src/results/sr/sr-document.js';
import { sourceContextFromDataset } from '../../../../src/results/sr/source-context.js';
import { LocalSpool } from '../../../../src/storage/index.js';
import { runCleanups, tempDir } from '../../../helpers/fixtures.js';
import { INSTANCES, sourceDataset, STUDY_UID } from '../../results/sr-fixtures.js';

const T = Date.parse('2030-01-01T00:00:00Z');

function finding(certainty: ReportFinding['certainty'], sizeMm: number | null): ReportFinding {
  return { concept: 'lung-nodule', code: '786838002', scheme: 'SCT', label: 'Pulmonary nodule', certainty, anatomy: null, laterality: null, sizeMm, span: [0, 1], text: 'nodule', source: 'rules', cue: null };
}

/** Issue 12 for the report-findings SR: a corrected report is a new SR naming the old one; the same findings send nothing. */
describe('flows/results/report-sr: revisions of the report-findings SR', () => {
  after(runCleanups);

  it('report → SR 1; same findings again → nothing; corrected report → SR 2 (report-corrected) naming SR 1 and the new MSH-10', async () => {
    const dir = tempDir();
    const db = openDatabase(join(dir, 'gw.sqlite'));
    const outbox = new SqliteOutboxQueue(db);
    const results = new ResultsRepo(db, outbox);
    const messages = new Hl7MessagesRepo(db, new SqliteJobQueue(db));
    const spool = new LocalSpool(dir);
    const deps: ReportSrDeps = {
      studies: new StudiesRepo(db), instances: { forStudy: async () => [] }, results, messages, outbox, outboxItems: new OutboxRepo(db), spool,
      destinations: [{ name: 'pacs', aeTitle: 'PACS', host: '127.0.0.1', port: 104, reportSr: true } as ReportSrDeps['destinations'][number]],
      analyzer: { id: 'report-rules', version: '1.0.0', demo: true },
    };
    const images = INSTANCES.map((i) => ({ ...i, path: '' }) as unknown as StoredInstance);
    const source = { images, context: async () => sourceContextFromDataset(sourceDataset()) };
    const report = async (controlId: string, findings: ReportFinding[], at: number): Promise<void> => {
      const stored = await messages.storeCommitted({ sender: 'RIS^H', controlId, messageType: 'ORU^R01', accessionNumber: '', studyInstanceUid: STUDY_UID, resultStatus: 'F', reportText: 'x', interpreter: 'RADIOLOGIST^ANNA^^Dr.', raw: Buffer.from(controlId), encoding: 'utf-8', peer: '127.0.0.1' }, at);
      await messages.markProcessed(stored.id, JSON.stringify(findings), at);
    };

    await report('MSG1', [finding('present', 8)], T);
    expect(await queueReportSr(STUDY_UID, source, deps, T)).to.deep.equal(['pacs']);
    expect(await queueReportSr(STUDY_UID, source, deps, T + 1000), 'results changed for another reason: same SR, nothing new').to.deep.equal([]);
    await report('MSG2', [finding('present', 8)], T + 2000);
    expect(await queueReportSr(STUDY_UID, source, deps, T + 2000), 'a new report with the same findings: nothing new').to.deep.equal([]);
    await report('MSG3', [finding('present', 14)], T + 3000);
    expect(await queueReportSr(STUDY_UID, source, deps, T + 3000)).to.deep.equal(['pacs']);

    const [first, second] = await results.revisionsForStudy(STUDY_UID);
    expect([first?.revision, first?.reason, second?.revision, second?.reason, second?.predecessorUid]).to.deep.equal([1, 'initial', 2, 'report-corrected', first?.sopInstanceUid]);
    const rows = db.prepare('SELECT dedupe_key, payload FROM outbox ORDER BY id').all() as Array<{ dedupe_key: string; payload: string }>;
    expect(rows.map((r) => r.dedupe_key)).to.deep.equal([first?.sopInstanceUid, second?.sopInstanceUid]);
    const sr = parseFindingsSr(await spool.read(rows[1]?.payload ?? ''));
    expect(sr.instanceNumber).to.equal(2);
    expect(sr.predecessors.map((p) => p.sopInstanceUid)).to.deep.equal([first?.sopInstanceUid]);
    expect(sr.report.comments.some((c) => c.includes('MSG3'))).to.equal(true);
    expect(sr.report.personObserver, 'the report\'s reading radiologist (OBR-32) as person observer').to.equal('RADIOLOGIST^ANNA^^Dr.');
    db.close();
  });
});
