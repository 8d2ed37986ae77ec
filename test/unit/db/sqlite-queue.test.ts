import { expect } from 'chai';
import { join } from 'node:path';
import { JobKind, JobsRepo, SqliteJobQueue, SqliteOutboxQueue, openDatabase } from '../../../src/db/index.js';
import { sqliteTransaction } from '../../../src/db/sqlite-queue.js';
import { runCleanups, tempDir } from '../../helpers/fixtures.js';

const T = 1_000_000;
const claimReq = (partition: string, owner: string, nowMs: number, leaseMs = 1000) => ({ partition, owner, leaseMs, limit: 10, nowMs });

describe('db/sqlite-queue', () => {
  after(runCleanups);

  it('an expired lease is taken over by another owner; the first owner can then settle nothing', async () => {
    const db = openDatabase(join(tempDir(), 'gw.sqlite'));
    const q = new SqliteOutboxQueue(db);
    const { id } = await q.enqueue({ kind: 'hl7', destination: 'RIS', studyInstanceUid: '1', dedupeKey: 'm', payload: 'MSH|' }, T);
    expect((await q.claim(claimReq('RIS', 'a', T))).map((i) => i.attempts)).to.deep.equal([1]);
    expect(await q.claim(claimReq('RIS', 'b', T + 999)), 'lease still held').to.deep.equal([]);
    expect(await q.nextDueMs('RIS')).to.equal(T + 1000);
    expect((await q.claim(claimReq('RIS', 'b', T + 1000))).map((i) => i.attempts)).to.deep.equal([2]);
    expect(await q.complete(id, 'a', T + 1001)).to.equal(false);
    expect(await q.fail(id, 'a', { error: 'late', retryAtMs: T + 5000 }, T + 1001)).to.equal('lease-lost');
    expect(await q.extendLease(id, 'a', T + 9000)).to.equal(false);
    expect(await q.complete(id, 'b', T + 1002)).to.equal(true);
  });

  it('claims due items oldest first, up to the limit; the next due time follows back-off', async () => {
    const db = openDatabase(join(tempDir(), 'gw.sqlite'));
    const q = new SqliteOutboxQueue(db);
    const ids: number[] = [];
    for (const k of ['a', 'b', 'c']) ids.push((await q.enqueue({ kind: 'dicom', destination: 'P', studyInstanceUid: '1', dedupeKey: k, payload: k }, T)).id);
    const first = await q.claim({ ...claimReq('P', 'o', T), limit: 2 });
    expect(first.map((i) => i.id)).to.deep.equal(ids.slice(0, 2));
    expect(await q.fail(ids[0] as number, 'o', { error: 'e', retryAtMs: T + 500 }, T)).to.equal('retrying');
    await q.complete(ids[1] as number, 'o', T);
    expect(await q.nextDueMs('P')).to.equal(T);
    expect((await q.claim(claimReq('P', 'o', T))).map((i) => i.id)).to.deep.equal([ids[2]]);
    await q.complete(ids[2] as number, 'o', T);
    expect(await q.nextDueMs('P')).to.equal(T + 500);
    expect(await q.claim(claimReq('P', 'o', T + 499))).to.deep.equal([]);
    expect((await q.claim(claimReq('P', 'o', T + 500))).map((i) => i.id)).to.deep.equal([ids[0]]);
  });

  it('jobs: one queued job per study; a retry superseded by a newer queued job is given up', async () => {
    const db = openDatabase(join(tempDir(), 'gw.sqlite'));
    const q = new SqliteJobQueue(db);
    const job = { kind: JobKind.AnalyzeStudy, studyInstanceUid: '1.2' };
    const a = await q.enqueue(job, T);
    expect(await q.enqueue(job, T + 1)).to.deep.equal({ id: a.id, created: false });
    await q.claim(claimReq(JobKind.AnalyzeStudy, 'o', T));
    const b = await q.enqueue(job, T + 2); // the study re-opened and completed again while the first ran
    expect(b.created).to.equal(true);
    expect(await q.fail(a.id, 'o', { error: 'model not loaded', retryAtMs: T + 10 }, T + 3)).to.equal('superseded');
    const jobs = await new JobsRepo(db).forStudy('1.2');
    expect(jobs.map((j) => [j.state, j.lastError])).to.deep.equal([['failed', 'model not loaded (superseded by a newer job)'], ['queued', null]]);
    // report jobs are per message: two reports of one study both wait
    expect((await q.enqueue({ kind: JobKind.ProcessReport, studyInstanceUid: '1.2', refId: 1 }, T)).created).to.equal(true);
    expect((await q.enqueue({ kind: JobKind.ProcessReport, studyInstanceUid: '1.2', refId: 2 }, T)).created).to.equal(true);
  });

  it('enqueueIn joins the caller’s transaction: rolled back with it, refused outside one', () => {
    const db = openDatabase(join(tempDir(), 'gw.sqlite'));
    const q = new SqliteJobQueue(db);
    expect(() =>
      sqliteTransaction(db, (tx) => {
        q.enqueueIn(tx, { kind: JobKind.AnalyzeStudy, studyInstanceUid: '9.9' }, T);
        throw new Error('caller failed after enqueueing');
      }),
    ).to.throw('caller failed');
    expect(db.prepare('SELECT COUNT(*) AS n FROM jobs').get()).to.deep.equal({ n: 0 });
    expect(() => q.enqueueIn({ db }, { kind: JobKind.AnalyzeStudy, studyInstanceUid: '9.9' }, T)).to.throw(/not inside a transaction/);
  });
});
