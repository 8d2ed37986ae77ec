/**
 * The Queue seam's contract, run against each engine: test/unit/db/sqlite-queue.test.ts (SQLite) and
 * test/interop/pg-queue.test.ts (PostgreSQL). An engine is a factory for a fresh, empty set of queues plus the few
 * engine-specific things a test must do outside the seam (a transaction, reading a row's state).
 */
import { expect } from 'chai';
import type { AuditEnqueue, AuditQueueItem, NewAuditRecord } from '../../../src/db/audit-queue.js';
import { JobKind, type Job, type NewJob } from '../../../src/db/job-queue.js';
import type { NewOutboxItem, OutboxItem } from '../../../src/db/outbox-queue.js';
import type { Enqueued, Queue, QueueMaintenance } from '../../../src/queue/index.js';

export interface RowState {
  state: string;
  attempts: number;
  last_error: string | null;
}

export interface QueueEngine {
  outbox: Queue<OutboxItem, NewOutboxItem> & QueueMaintenance;
  jobs: Queue<Job, NewJob>;
  audit(maxRecords: number): { queue: Queue<AuditQueueItem, NewAuditRecord>; add(item: NewAuditRecord, nowMs: number): Promise<AuditEnqueue>; waiting(): Promise<number> };
  /** Enqueues `job` through `enqueueIn` in a transaction of the engine, then fails the transaction when `thenThrow`. */
  enqueueJobIn(job: NewJob, nowMs: number, thenThrow: boolean): Promise<Enqueued>;
  /** `enqueueIn` given a handle on the right database but no open transaction. */
  enqueueJobOutsideTransaction(job: NewJob, nowMs: number): Promise<Enqueued>;
  row(table: 'jobs' | 'outbox' | 'audit_records', id: number): Promise<RowState | undefined>;
  jobsOfStudy(studyInstanceUid: string): Promise<Array<[string, string | null]>>;
}

const T = 1_000_000;
const claimReq = (partition: string, owner: string, nowMs: number, leaseMs = 1000) => ({ partition, owner, leaseMs, limit: 10, nowMs });
const msg = (destination: string, dedupeKey: string): NewOutboxItem => ({ kind: 'hl7', destination, studyInstanceUid: '1', dedupeKey, payload: `MSH|${dedupeKey}` });

export function queueContract(engine: string, open: () => Promise<QueueEngine>): void {
  describe(`Queue contract on ${engine}`, () => {
    it('an expired lease is taken over by another owner; the first owner can then settle nothing', async () => {
      const { outbox: q } = await open();
      const { id } = await q.enqueue(msg('RIS', 'm'), T);
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
      const { outbox: q } = await open();
      const ids: number[] = [];
      for (const k of ['a', 'b', 'c']) ids.push((await q.enqueue({ kind: 'dicom', destination: 'P', studyInstanceUid: '1', dedupeKey: k, payload: k }, T)).id);
      const first = await q.claim({ ...claimReq('P', 'o', T), limit: 2 });
      expect(first.map((i) => i.id)).to.deep.equal(ids.slice(0, 2));
      expect(first[0]).to.include({ partition: 'P', destination: 'P', dedupeKey: 'a', payload: 'a', state: 'sending', createdAtMs: T });
      expect(await q.fail(ids[0] as number, 'o', { error: 'e', retryAtMs: T + 500 }, T)).to.equal('retrying');
      await q.complete(ids[1] as number, 'o', T);
      expect(await q.nextDueMs('P')).to.equal(T);
      expect((await q.claim(claimReq('P', 'o', T))).map((i) => i.id)).to.deep.equal([ids[2]]);
      await q.complete(ids[2] as number, 'o', T);
      expect(await q.nextDueMs('P')).to.equal(T + 500);
      expect(await q.claim(claimReq('P', 'o', T + 499))).to.deep.equal([]);
      const retried = await q.claim(claimReq('P', 'o', T + 500));
      expect(retried.map((i) => [i.id, i.attempts, i.lastError, i.nextAttemptAt])).to.deep.equal([[ids[0], 2, 'e', new Date(T + 500).toISOString()]]);
    });

    it('never enqueues the same (destination, dedupe key) twice', async () => {
      const { outbox: q } = await open();
      const a = await q.enqueue(msg('PACS', 'k'), T);
      expect(a.created).to.equal(true);
      expect(await q.enqueue(msg('PACS', 'k'), T + 1)).to.deep.equal({ id: a.id, created: false });
      expect((await q.enqueue(msg('OTHER', 'k'), T + 2)).created).to.equal(true);
    });

    it('jobs: one queued job per study; a retry superseded by a newer queued job is given up', async () => {
      const e = await open();
      const q = e.jobs;
      const job = { kind: JobKind.AnalyzeStudy, studyInstanceUid: '1.2' };
      const a = await q.enqueue(job, T);
      expect(await q.enqueue(job, T + 1)).to.deep.equal({ id: a.id, created: false });
      await q.claim(claimReq(JobKind.AnalyzeStudy, 'o', T));
      const b = await q.enqueue(job, T + 2); // the study re-opened and completed again while the first ran
      expect(b.created).to.equal(true);
      expect(await q.fail(a.id, 'o', { error: 'model not loaded', retryAtMs: T + 10 }, T + 3)).to.equal('superseded');
      expect(await e.jobsOfStudy('1.2')).to.deep.equal([['failed', 'model not loaded (superseded by a newer job)'], ['queued', null]]);
      // report jobs are per message: two reports of one study both wait
      expect((await q.enqueue({ kind: JobKind.ProcessReport, studyInstanceUid: '1.2', refId: 1 }, T)).created).to.equal(true);
      expect((await q.enqueue({ kind: JobKind.ProcessReport, studyInstanceUid: '1.2', refId: 2 }, T)).created).to.equal(true);
    });

    it('enqueueIn joins the caller’s transaction: rolled back with it, committed with it, refused outside one', async () => {
      const e = await open();
      let failure: unknown;
      await e.enqueueJobIn({ kind: JobKind.AnalyzeStudy, studyInstanceUid: '9.9' }, T, true).catch((err: unknown) => (failure = err));
      expect(String(failure)).to.match(/caller failed/);
      expect(await e.jobsOfStudy('9.9')).to.deep.equal([]);
      const kept = await e.enqueueJobIn({ kind: JobKind.AnalyzeStudy, studyInstanceUid: '9.8' }, T, false);
      expect(kept.created).to.equal(true);
      expect(await e.jobsOfStudy('9.8')).to.deep.equal([['queued', null]]);
      let refused: unknown;
      await e.enqueueJobOutsideTransaction({ kind: JobKind.AnalyzeStudy, studyInstanceUid: '9.7' }, T).catch((err: unknown) => (refused = err));
      expect(String(refused)).to.match(/not inside a transaction/);
      expect(await e.jobsOfStudy('9.7')).to.deep.equal([]);
    });

    it('in order: only the head is claimed, and only when due; it blocks the rest until done or dead', async () => {
      const { outbox: q } = await open();
      const m1 = (await q.enqueue(msg('RIS', 'm1'), T)).id;
      const m2 = (await q.enqueue(msg('RIS', 'm2'), T)).id;
      const head = { ...claimReq('RIS', 'o', T), inOrder: true };
      expect((await q.claim(head)).map((i) => i.id)).to.deep.equal([m1]);
      expect(await q.claim({ ...head, owner: 'other' }), 'the head is leased: nothing behind it').to.deep.equal([]);
      expect(await q.fail(m1, 'o', { error: 'AE', retryAtMs: T + 100 }, T)).to.equal('retrying');
      expect(await q.nextDueMs('RIS', { inOrder: true })).to.equal(T + 100);
      expect(await q.nextDueMs('RIS'), 'out of order, m2 would be due now').to.equal(T);
      expect(await q.claim(head), 'the head is not due: m2 waits').to.deep.equal([]);
      expect((await q.claim({ ...head, nowMs: T + 100 })).map((i) => i.id)).to.deep.equal([m1]);
      expect(await q.fail(m1, 'o', { error: 'AR', retryAtMs: undefined }, T + 100)).to.equal('dead');
      expect((await q.claim({ ...head, nowMs: T + 100 })).map((i) => i.id)).to.deep.equal([m2]);
      expect(await q.complete(m2, 'o', T + 101, 'warning')).to.equal(true);
      expect(await q.nextDueMs('RIS', { inOrder: true })).to.equal(undefined);
    });

    it('release hands an item back due now with its attempt not counted; releaseOwned frees a dead process’s leases', async () => {
      const e = await open();
      const q = e.outbox;
      const a = (await q.enqueue(msg('P', 'a'), T)).id;
      const b = (await q.enqueue(msg('P', 'b'), T)).id;
      await q.claim(claimReq('P', 'node-a', T, 60_000));
      expect(await q.release(a, 'someone-else', T + 1)).to.equal(false);
      expect(await q.release(a, 'node-a', T + 1)).to.equal(true);
      expect(await e.row('outbox', a)).to.deep.equal({ state: 'pending', attempts: 0, last_error: null });
      expect(await q.releaseOwned('P', 'node-a', T + 2)).to.equal(1); // b: its process is gone
      expect(await e.row('outbox', b)).to.deep.include({ state: 'pending', attempts: 1 });
      expect(await q.nextDueMs('P')).to.equal(T + 1);
      // a job whose study has a newer queued job cannot go back: it is given up
      const job = { kind: JobKind.AnalyzeStudy, studyInstanceUid: '3.3' };
      const j1 = (await e.jobs.enqueue(job, T)).id;
      await e.jobs.claim(claimReq(JobKind.AnalyzeStudy, 'node-a', T, 60_000));
      await e.jobs.enqueue(job, T + 1);
      expect(await e.jobs.releaseOwned(JobKind.AnalyzeStudy, 'node-a', T + 2)).to.equal(0);
      expect(await e.row('jobs', j1)).to.deep.include({ state: 'failed', last_error: '(superseded by a newer job)' });
    });

    it('resend revives a dead letter with a fresh attempt budget; a delivered item is not resent', async () => {
      const e = await open();
      const q = e.outbox;
      const a = (await q.enqueue(msg('P', 'a'), T)).id;
      await q.claim(claimReq('P', 'o', T));
      expect(await q.fail(a, 'o', { error: 'C000', retryAtMs: undefined }, T)).to.equal('dead');
      expect(await q.nextDueMs('P')).to.equal(undefined);
      expect(await q.resend(a, T + 5)).to.deep.equal({ partition: 'P' });
      expect(await e.row('outbox', a)).to.deep.equal({ state: 'pending', attempts: 0, last_error: 'C000' });
      await q.claim(claimReq('P', 'o', T + 5));
      await q.complete(a, 'o', T + 6);
      expect(await q.resend(a, T + 7)).to.equal(undefined);
      expect(await q.resend(999_999, T + 7)).to.equal(undefined);
    });

    it('upkeep: old waiting rows become dead letters with the reason; delivered rows are deleted after retention', async () => {
      const e = await open();
      const q = e.outbox;
      const old = (await q.enqueue(msg('P', 'old'), T)).id;
      const done = (await q.enqueue(msg('P', 'done'), T)).id;
      const young = (await q.enqueue(msg('P', 'young'), T + 1000)).id;
      await q.claim({ ...claimReq('P', 'o', T), limit: 1 }); // `old` is in hand: left to its attempt
      await q.fail(old, 'o', { error: 'timeout', retryAtMs: T + 10 }, T);
      await q.claim({ ...claimReq('P', 'o', T), limit: 1 });
      await q.complete(done, 'o', T + 1);
      expect(await q.deadLetterOlderThan(T + 500, 'older than 7 days', T + 2000)).to.equal(1);
      expect(await e.row('outbox', old)).to.deep.include({ state: 'dead', last_error: 'timeout (then: older than 7 days)' });
      expect(await e.row('outbox', young)).to.deep.include({ state: 'pending' });
      expect(await q.deleteDoneBefore(T + 1)).to.equal(0);
      expect(await q.deleteDoneBefore(T + 2)).to.equal(1);
      expect(await e.row('outbox', done)).to.equal(undefined);
    });

    it('audit queue: bounded (a full queue drops the new record), a sent record is deleted', async () => {
      const e = await open();
      const a = e.audit(2);
      const rec = (n: number): NewAuditRecord => ({ collector: 'syslog', eventId: '110104', message: `<85>1 record ${n}` });
      const first = await a.add(rec(1), T);
      expect(first.kind).to.equal('queued');
      expect((await a.add(rec(2), T)).kind).to.equal('queued');
      expect(await a.add(rec(3), T)).to.deep.equal({ kind: 'dropped', waiting: 2 });
      const [claimed] = await a.queue.claim(claimReq('syslog', 'o', T));
      expect(claimed).to.include({ eventId: '110104', message: '<85>1 record 1', attempts: 1 });
      expect(await a.queue.complete(claimed?.id as number, 'o', T)).to.equal(true);
      expect(await a.waiting()).to.equal(1);
      expect(await e.row('audit_records', claimed?.id as number)).to.equal(undefined);
      expect((await a.add(rec(4), T)).kind).to.equal('queued');
    });
  });
}

