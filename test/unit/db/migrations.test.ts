import { expect } from 'chai';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { JobKind, ResultsRepo, SqliteJobQueue, SqliteOutboxQueue, openDatabase } from '../../../src/db/index.js';
import { MIGRATIONS } from '../../../src/db/migrations.js';
import { runCleanups, tempDir } from '../../helpers/fixtures.js';

/** The last schema before the Queue seam (leases, report jobs). */
const BEFORE_QUEUE = 7;
const T = Date.parse('2030-01-01T00:00:00Z');

describe('db/migrations', () => {
  after(runCleanups);

  it('upgrading keeps a job, an outbox row and a report that were in flight: each is claimed again', async () => {
    const path = join(tempDir(), 'gateway.sqlite');
    const old = new Database(path);
    for (const m of MIGRATIONS.slice(0, BEFORE_QUEUE)) old.exec(m);
    old.pragma(`user_version = ${BEFORE_QUEUE}`);
    const at = new Date(T).toISOString();
    // what a gateway killed mid-work leaves behind
    old.prepare(`INSERT INTO jobs (kind, study_instance_uid, state, attempts, next_attempt_at, created_at, updated_at, started_at) VALUES ('analyze-study', '1.2', 'running', 1, ?, ?, ?, ?)`).run(at, at, at, at);
    old.prepare(`INSERT INTO jobs (kind, study_instance_uid, state, attempts, next_attempt_at, created_at, updated_at) VALUES ('analyze-study', '1.3', 'queued', 0, ?, ?, ?)`).run(at, at, at);
    old.prepare(`INSERT INTO outbox (kind, destination, study_instance_uid, dedupe_key, payload, state, attempts, next_attempt_at, created_at, updated_at) VALUES ('hl7', 'RIS', '1.2', 'm1', 'MSH|', 'sending', 1, ?, ?, ?)`).run(at, at, at);
    const report = old
      .prepare(`INSERT INTO hl7_messages (sender, control_id, message_type, study_instance_uid, report_text, raw, encoding, peer, state, received_at) VALUES ('RIS^H', 'c1', 'ORU^R01', '1.2', 'No effusion.', x'00', 'utf-8', '127.0.0.1', 'received', ?)`)
      .run(at).lastInsertRowid;
    old.prepare(`INSERT INTO hl7_messages (sender, control_id, message_type, study_instance_uid, report_text, raw, encoding, peer, state, received_at) VALUES ('RIS^H', 'c2', 'ORU^R01', '1.2', 'Done.', x'00', 'utf-8', '127.0.0.1', 'processed', ?)`).run(at);
    old.close();

    const db = openDatabase(path);
    expect(db.pragma('user_version', { simple: true })).to.equal(MIGRATIONS.length);
    const jobs = new SqliteJobQueue(db);
    const outbox = new SqliteOutboxQueue(db);
    const now = T + 1000;
    const analyses = await jobs.claim({ partition: JobKind.AnalyzeStudy, owner: 'new', leaseMs: 60_000, limit: 10, nowMs: now });
    expect(analyses.map((j) => [j.studyInstanceUid, j.attempts])).to.deep.equal([['1.2', 2], ['1.3', 1]]);
    const sends = await outbox.claim({ partition: 'RIS', owner: 'new', leaseMs: 60_000, limit: 10, nowMs: now, inOrder: true });
    expect(sends.map((o) => [o.dedupeKey, o.attempts])).to.deep.equal([['m1', 2]]);
    const reports = await jobs.claim({ partition: JobKind.ProcessReport, owner: 'new', leaseMs: 60_000, limit: 10, nowMs: now });
    expect(reports.map((j) => j.refId), 'only the report still waiting for processing').to.deep.equal([Number(report)]);
  });
});

describe('db/migrations: result revisions', () => {
  after(runCleanups);
  /** The last schema before result revisions (issue 12). */
  const BEFORE_REVISIONS = 9;

  it('an existing database keeps its SRs as revision 1 of their results; the next revision names them', async () => {
    const path = join(tempDir(), 'gateway.sqlite');
    const old = new Database(path);
    for (const m of MIGRATIONS.slice(0, BEFORE_REVISIONS)) old.exec(m);
    old.pragma(`user_version = ${BEFORE_REVISIONS}`);
    const at = new Date(T).toISOString();
    old.prepare(`INSERT INTO analysis_results VALUES ('1.2', 'nodule', '1.0.0', 'c', 'SCT', 'Nodule', 0.9, 0.8, 1, 0.5, '[]', 16, 0, 'onnx', 'cpu', 'cpu', 10, '2.25.11', ?)`).run(at);
    old.prepare(`INSERT INTO analysis_results VALUES ('1.3', 'nodule', '1.0.0', 'c', 'SCT', 'Nodule', 0.1, 0.1, 0, 0.5, '[]', 16, 0, 'onnx', 'cpu', 'cpu', 10, NULL, ?)`).run(at);
    const msg = old.prepare(`INSERT INTO hl7_messages (sender, control_id, message_type, study_instance_uid, report_text, raw, encoding, peer, state, received_at) VALUES ('RIS^H', 'c1', 'ORU^R01', '1.2', 'Nodule.', x'00', 'utf-8', '127.0.0.1', 'processed', ?)`).run(at).lastInsertRowid;
    old.prepare(`INSERT INTO report_results VALUES ('1.2', ?, '2.25.12', ?)`).run(msg, at);
    old.close();

    const db = openDatabase(path);
    const results = new ResultsRepo(db, new SqliteOutboxQueue(db));
    const revisions = await results.revisionsForStudy('1.2');
    expect(revisions.map((r) => [r.resultKey, r.revision, r.sopInstanceUid, r.reason, r.contentDigest, r.seriesInstanceUid, r.createdAt])).to.deep.equal([
      ['image-ai:nodule', 1, '2.25.11', 'initial', null, null, at],
      ['report-findings', 1, '2.25.12', 'initial', null, null, at],
    ]);
    expect(await results.revisionsForStudy('1.3'), 'a result without an SR has no revision').to.deep.equal([]);
    expect(await results.isOwnResult('2.25.12')).to.equal(true);

    const next = { studyInstanceUid: '1.2', resultKey: 'image-ai:nodule', kind: 'image-ai', modelId: 'nodule', modelVersion: '1.0.0', revision: 2, sopInstanceUid: '2.25.21', seriesInstanceUid: '2.25.3', contentDigest: 'ab', predecessorUid: '2.25.11', reason: 're-analysis' as const, sourceMessageId: null };
    const delivery = { kind: 'dicom' as const, destination: 'pacs', studyInstanceUid: '1.2', dedupeKey: '2.25.21', payload: 'results/1.2/2.25.21.dcm' };
    expect(await results.commitRevision(next, [delivery], T + 1000)).to.deep.equal(['pacs']);
    expect((await results.currentRevision('1.2', 'image-ai:nodule'))?.predecessorUid).to.equal('2.25.11');
    // The same revision number again (a second writer): nothing of it is committed, its delivery neither.
    let failed = false;
    try {
      await results.commitRevision({ ...next, sopInstanceUid: '2.25.22' }, [{ ...delivery, dedupeKey: '2.25.22' }], T + 2000);
    } catch {
      failed = true;
    }
    expect(failed, 'a taken revision number is refused').to.equal(true);
    expect(db.prepare('SELECT dedupe_key FROM outbox').all()).to.deep.equal([{ dedupe_key: '2.25.21' }]);
    expect(await results.isOwnResult('2.25.11'), 'a replaced SR routed back is still ours').to.equal(true);
    db.close();
  });
});
