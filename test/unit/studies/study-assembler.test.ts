import { expect } from 'chai';
import { join } from 'node:path';
import { JobKind, SqliteJobQueue, openDatabase } from '../../../src/db/index.js';
import { prepareInstanceWrites } from '../../../src/db/instance-writes.js';
import { silentLogger } from '../../../src/log.js';
import { CompletionRule, SqliteStudyStore, StudyAssembler, type SqliteJobEnqueue, type StudyStore } from '../../../src/studies/index.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { runCleanups, tempDir } from '../../helpers/fixtures.js';

const QUIET_MS = 10_000;

/**
 * A real SQLite database in a temp file: instances are recorded with the writer thread's SQL (db/instance-writes,
 * which sets the due time and re-opens a study through src/studies), completion runs the store's real SQL.
 */
function setup(options: { jobs?: (q: SqliteJobQueue) => SqliteJobEnqueue; store?: (s: SqliteStudyStore) => StudyStore } = {}) {
  const db = openDatabase(join(tempDir(), 'gateway.sqlite'));
  const clock = new FakeClock();
  const queue = new SqliteJobQueue(db);
  const sqlite = new SqliteStudyStore(db, options.jobs?.(queue) ?? queue, JobKind.AnalyzeStudy);
  const store = options.store?.(sqlite) ?? sqlite;
  const write = prepareInstanceWrites(db, QUIET_MS);
  const assembler = new StudyAssembler(store, { rule: new CompletionRule(QUIET_MS), clock, log: silentLogger });
  let n = 0;
  /** Records one instance now, as the C-STORE path does, and tells the assembler. */
  const receive = (study: string, expected?: number) => {
    const progress = db.transaction(() =>
      write({
        sopInstanceUid: `${study}.${++n}`, studyInstanceUid: study, seriesInstanceUid: `${study}.1`, sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
        transferSyntaxUid: '1.2.840.10008.1.2.1', accessionNumber: '', modality: 'CT', bodyPart: '', seriesNumber: 1, instanceNumber: n, sizeBytes: 1,
        path: `${study}/${n}.dcm`, callingAe: 'MODALITY', receivedAtMs: clock.now(), studyDate: '', studyDescription: '', expectedStudyInstances: expected, reopensStudy: true,
      }),
    )();
    assembler.instanceRecorded(progress);
  };
  /** Moves the clock and waits for the completions it set off. */
  const advance = async (ms: number) => {
    clock.advance(ms);
    await assembler.idle();
  };
  const jobs = () => db.prepare<[], { s: string }>(`SELECT study_instance_uid AS s FROM jobs ORDER BY id`).all().map((r) => r.s);
  const status = (study: string) => db.prepare<[string], { status: string }>('SELECT status FROM studies WHERE study_instance_uid = ?').get(study)?.status;
  return { db, clock, queue, store, assembler, receive, advance, jobs, status };
}

describe('studies/study-assembler (SQLite)', () => {
  after(runCleanups);

  it('completes a study after the quiet period, not before, and each new instance restarts the wait', async () => {
    const t = setup();
    t.receive('1.2');
    await t.advance(9_000);
    t.receive('1.2');
    await t.advance(9_000);
    expect(t.jobs()).to.deep.equal([]);
    expect(t.status('1.2')).to.equal('receiving');
    await t.advance(1_000);
    expect(t.jobs()).to.deep.equal(['1.2']);
    expect(t.status('1.2')).to.equal('complete');
  });

  it('still completes when the timer fires before the due time (it re-arms instead of giving up)', async () => {
    const t = setup();
    t.clock.early = 3;
    t.receive('1.5');
    await t.advance(QUIET_MS - 3); // the early timer fires: the SQL says not due yet
    expect(t.jobs()).to.deep.equal([]);
    t.clock.early = 0;
    await t.advance(3);
    expect(t.jobs()).to.deep.equal(['1.5']);
  });

  it('completes as soon as the announced number of instances has arrived', async () => {
    const t = setup();
    t.receive('1.3', 2);
    await t.advance(0);
    expect(t.jobs()).to.deep.equal([]);
    t.receive('1.3', 2);
    await t.advance(0);
    expect(t.jobs()).to.deep.equal(['1.3']);
  });

  it('re-opens a completed study on a late instance (the real upsert) and queues a re-analysis', async () => {
    const t = setup();
    t.receive('1.4');
    await t.advance(QUIET_MS);
    expect(t.status('1.4')).to.equal('complete');
    const [first] = await t.queue.claim({ partition: JobKind.AnalyzeStudy, owner: 'o', leaseMs: 60_000, limit: 1, nowMs: t.clock.now() });
    await t.queue.complete(first?.id ?? -1, 'o', t.clock.now());
    t.receive('1.4');
    expect(t.status('1.4'), 'a late instance re-opens the study').to.equal('receiving');
    await t.advance(QUIET_MS);
    expect(t.status('1.4')).to.equal('complete');
    expect(t.jobs()).to.deep.equal(['1.4', '1.4']);
  });

  it('re-arms timers for studies that were receiving at a restart, completing overdue ones at once', async () => {
    const t = setup();
    t.receive('1.5');
    await t.advance(QUIET_MS - 5_000);
    t.receive('1.6');
    await t.assembler.stop(); // the daemon stops: timers gone, rows stay
    await t.advance(5_010); // 1.5 overdue, 1.6 due in 4,990 ms
    const restarted = new StudyAssembler(t.store, { rule: new CompletionRule(QUIET_MS), clock: t.clock, log: silentLogger });
    expect(await restarted.resume()).to.equal(2);
    t.clock.advance(0);
    await restarted.idle();
    expect(t.jobs()).to.deep.equal(['1.5']);
    t.clock.advance(4_990);
    await restarted.idle();
    expect(t.jobs()).to.deep.equal(['1.5', '1.6']);
  });

  it('sweep completes a due study whose completion failed (database busy), and leaves studies not yet due', async () => {
    let failures = 1;
    const t = setup({
      store: (s) => ({
        receiving: () => s.receiving(),
        dueAt: (uid) => s.dueAt(uid),
        completeIfDue: (uid, now) => (failures-- > 0 ? Promise.reject(new Error('SQLITE_BUSY: database is locked')) : s.completeIfDue(uid, now)),
      }),
    });
    t.receive('1.7');
    await t.advance(QUIET_MS); // the timer fires, completing fails: the study stays receiving, no timer left
    expect(t.jobs()).to.deep.equal([]);
    t.receive('1.8');
    expect(await t.assembler.sweep()).to.equal(1);
    expect(t.jobs()).to.deep.equal(['1.7']);
    expect(t.status('1.8')).to.equal('receiving');
    expect(await t.assembler.sweep()).to.equal(0);
  });

  it('completion and its job are atomic: a failure queueing the job leaves the study receiving and no job', async () => {
    const t = setup({
      jobs: (q) => ({
        enqueueIn: (tx, item, nowMs) => {
          q.enqueueIn(tx, item, nowMs); // the row is written inside the transaction, then the step fails
          throw new Error('disk I/O error');
        },
      }),
    });
    t.receive('1.9');
    await t.advance(QUIET_MS);
    expect(t.status('1.9')).to.equal('receiving');
    expect(t.jobs()).to.deep.equal([]);
    expect(await t.store.dueAt('1.9')).to.equal(t.clock.now(), 'still due: the sweep or a restart completes it');
  });
});

