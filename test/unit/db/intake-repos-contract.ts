/**
 * The intake and operator repositories' contract, run against each engine: test/unit/db/intake-repos-sqlite.test.ts
 * (SQLite, instance writes through the writer thread) and test/interop/pg-intake-repos.test.ts (PostgreSQL). An
 * engine is a factory for a fresh, empty set of repositories plus the few things a test reads outside them (a study
 * row, an instance row) and a completion store whose job enqueue fails. Every expectation is an exact value, so
 * the two engines give the same results for the same rows: order, ISO times, nulls.
 */
import { expect } from 'chai';
import { JobKind, type Job, type NewJob } from '../../../src/db/job-queue.js';
import type { InstanceRecord, InstancesStore, StudyProgress } from '../../../src/db/instances-repo.js';
import type { JobsReader } from '../../../src/db/jobs-repo.js';
import type { NewOutboxItem, OutboxItem } from '../../../src/db/outbox-queue.js';
import type { OutboxReader } from '../../../src/db/outbox-repo.js';
import type { RetentionStore } from '../../../src/db/retention-repo.js';
import type { StatusReader } from '../../../src/db/status-repo.js';
import type { StudiesReader } from '../../../src/db/studies-repo.js';
import { silentLogger } from '../../../src/log.js';
import type { Queue } from '../../../src/queue/index.js';
import { CompletionRule, StudyAssembler, type StudyStore } from '../../../src/studies/index.js';
import { FakeClock } from '../../helpers/fake-clock.js';

/** A studies row as stored, times as ISO strings. */
export interface StudyRowState {
  status: string;
  accession_number: string;
  study_date: string;
  study_description: string;
  expected_instances: number | null;
  first_received_at: string;
  last_received_at: string;
  complete_due_at: string | null;
  completed_at: string | null;
  purged_at: string | null;
  purged_instances: number;
  purged_bytes: number;
}

export const STUDY_ROW_COLUMNS = 'status, accession_number, study_date, study_description, expected_instances, first_received_at, last_received_at, complete_due_at, completed_at, purged_at, purged_instances, purged_bytes';

export interface IntakeRepos {
  instances: InstancesStore;
  completion: StudyStore;
  /** A completion store whose job enqueue writes the job row inside the transaction, then fails. */
  completionFailingEnqueue: StudyStore;
  studies: StudiesReader;
  retention: RetentionStore;
  status: StatusReader;
  jobsReader: JobsReader;
  outboxItems: OutboxReader;
  jobs: Queue<Job, NewJob>;
  outbox: Queue<OutboxItem, NewOutboxItem>;
  studyRow(studyInstanceUid: string): Promise<StudyRowState | undefined>;
  instanceRow(sopInstanceUid: string): Promise<{ study_instance_uid: string; received_by: string; path: string } | undefined>;
  close(): Promise<void>;
}

/** Fresh, empty repositories; instances are recorded as `nodeName`, with this quiet period. */
export type IntakeEngine = (options: { quietMs: number; nodeName: string }) => Promise<IntakeRepos>;

const QUIET = 10_000;
const NODE = 'node-a';
const T = Date.parse('2030-06-01T00:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const OWNER = 'test-owner';

let sop = 0;
/** One instance of `study`, received at `at`. */
export function instance(study: string, at: number, over: Partial<InstanceRecord> = {}): InstanceRecord {
  const n = ++sop;
  return {
    sopInstanceUid: `${study}.9.${n}`, studyInstanceUid: study, seriesInstanceUid: `${study}.1`, sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    transferSyntaxUid: '1.2.840.10008.1.2.1', accessionNumber: '', modality: 'CT', bodyPart: 'CHEST', seriesNumber: 1, instanceNumber: n, sizeBytes: 100,
    path: `${study}/${study}.9.${n}.dcm`, callingAe: 'MODALITY', receivedAtMs: at, studyDate: '', studyDescription: '', expectedStudyInstances: undefined,
    reopensStudy: true, ...over,
  };
}

export function intakeReposContract(engine: string, open: IntakeEngine): void {
  describe(`intake repositories contract on ${engine}`, () => {
    const opened: IntakeRepos[] = [];
    const fresh = async (): Promise<IntakeRepos> => {
      const r = await open({ quietMs: QUIET, nodeName: NODE });
      opened.push(r);
      return r;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((r) => r.close()));
    });

    /** Claims the study's analysis job and settles it: done, failed for good, or left running. */
    async function analysis(r: IntakeRepos, uid: string, outcome: 'done' | 'failed' | 'running', at: number): Promise<void> {
      const claimed = await r.jobs.claim({ partition: JobKind.AnalyzeStudy, owner: OWNER, leaseMs: 60_000, limit: 100, nowMs: at });
      const job = claimed.find((j) => j.studyInstanceUid === uid);
      if (job === undefined) throw new Error(`no analysis job for ${uid}`);
      for (const other of claimed.filter((j) => j !== job)) await r.jobs.release(other.id, OWNER, at);
      if (outcome === 'done') await r.jobs.complete(job.id, OWNER, at);
      if (outcome === 'failed') await r.jobs.fail(job.id, OWNER, { error: 'decoder failed', retryAtMs: undefined }, at);
    }

    /** Delivers (or dead-letters, or leaves pending) one result SR of the study, to a destination of its own. */
    async function delivery(r: IntakeRepos, uid: string, outcome: 'delivered' | 'dead' | 'pending', at: number): Promise<string> {
      const payload = `results/${uid}/${uid}.99.dcm`;
      await r.outbox.enqueue({ kind: 'dicom', destination: `pacs-${uid}`, studyInstanceUid: uid, dedupeKey: `${uid}.99`, payload }, at);
      if (outcome === 'pending') return payload;
      const [item] = await r.outbox.claim({ partition: `pacs-${uid}`, owner: OWNER, leaseMs: 60_000, limit: 1, nowMs: at });
      if (item === undefined) throw new Error('no outbox item');
      if (outcome === 'delivered') await r.outbox.complete(item.id, OWNER, at + 1);
      else await r.outbox.fail(item.id, OWNER, { error: 'refused', retryAtMs: undefined }, at + 1);
      return payload;
    }

    describe('recording instances', () => {
      it('each record commits its instance and study rows and answers the study progress; the rows name the node', async () => {
        const r = await fresh();
        const records = [instance('1.1', T), instance('1.1', T + 10), instance('1.1', T + 20, { expectedStudyInstances: 5 }), instance('1.2', T + 5)];
        const progress = await Promise.all(records.map((x) => r.instances.record(x)));
        expect(progress).to.deep.equal([
          { studyInstanceUid: '1.1', instanceCount: 1, expectedInstances: undefined, completeDueAtMs: T + QUIET },
          { studyInstanceUid: '1.1', instanceCount: 2, expectedInstances: undefined, completeDueAtMs: T + 10 + QUIET },
          { studyInstanceUid: '1.1', instanceCount: 3, expectedInstances: 5, completeDueAtMs: T + 20 + QUIET },
          { studyInstanceUid: '1.2', instanceCount: 1, expectedInstances: undefined, completeDueAtMs: T + 5 + QUIET },
        ] satisfies StudyProgress[]);
        expect(await r.studyRow('1.1')).to.deep.equal({
          status: 'receiving', accession_number: '', study_date: '', study_description: '', expected_instances: 5,
          first_received_at: iso(T), last_received_at: iso(T + 20), complete_due_at: iso(T + 20 + QUIET), completed_at: null, purged_at: null,
          purged_instances: 0, purged_bytes: 0,
        });
        const first = records[0] as InstanceRecord;
        expect(await r.instanceRow(first.sopInstanceUid)).to.deep.equal({ study_instance_uid: '1.1', received_by: NODE, path: first.path });
        expect(await r.instances.find(first.sopInstanceUid)).to.deep.equal({ path: first.path, sizeBytes: 100, studyInstanceUid: '1.1' });
        expect(await r.instances.find('9.9.9')).to.equal(undefined);
      });

      it('lists a study\'s instances in series and instance order, a missing number first', async () => {
        const r = await fresh();
        const s2i1 = instance('2.1', T, { seriesInstanceUid: '2.1.2', seriesNumber: 2, instanceNumber: 1 });
        const s1i2 = instance('2.1', T + 1, { seriesInstanceUid: '2.1.1', seriesNumber: 1, instanceNumber: 2 });
        const s1i1 = instance('2.1', T + 2, { seriesInstanceUid: '2.1.1', seriesNumber: 1, instanceNumber: 1, modality: 'PT', bodyPart: '' });
        const noNumber = instance('2.1', T + 3, { seriesInstanceUid: '2.1.3', seriesNumber: undefined, instanceNumber: undefined });
        for (const x of [s2i1, s1i2, s1i1, noNumber]) await r.instances.record(x);
        const listed = await r.instances.forStudy('2.1');
        expect(listed.map((i) => i.sopInstanceUid)).to.deep.equal([noNumber, s1i1, s1i2, s2i1].map((x) => x.sopInstanceUid));
        expect(listed[0]).to.deep.include({ seriesNumber: null, instanceNumber: null });
        expect(listed[1]).to.deep.equal({
          sopInstanceUid: s1i1.sopInstanceUid, seriesInstanceUid: '2.1.1', sopClassUid: s1i1.sopClassUid, transferSyntaxUid: s1i1.transferSyntaxUid,
          modality: 'PT', bodyPart: '', seriesNumber: 1, instanceNumber: 1, path: s1i1.path, receivedAt: iso(T + 2),
        });
        expect(await r.instances.forStudy('2.2')).to.deep.equal([]);
      });

      it('the same SOP Instance UID again is one row, updated in place', async () => {
        const r = await fresh();
        const x = instance('3.1', T);
        await r.instances.record(x);
        const again = await r.instances.record({ ...x, path: '3.1/again.dcm', sizeBytes: 222, receivedAtMs: T + 50 });
        expect(again.instanceCount).to.equal(1);
        expect(await r.instances.find(x.sopInstanceUid)).to.deep.equal({ path: '3.1/again.dcm', sizeBytes: 222, studyInstanceUid: '3.1' });
      });

      it('a bad record fails alone: the records committed in the same burst stand', async () => {
        const r = await fresh();
        const good = [instance('4.1', T), instance('4.1', T + 1), instance('4.2', T + 2)];
        const bad = instance('4.1', T + 3, { path: null as unknown as string }); // NOT NULL on both engines
        const settled = await Promise.allSettled([good[0], bad, good[1], good[2]].map((x) => r.instances.record(x as InstanceRecord)));
        expect(settled.map((s) => s.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
        expect(await r.instanceRow(bad.sopInstanceUid)).to.equal(undefined);
        expect((await r.instances.forStudy('4.1')).length).to.equal(2);
        expect((await r.studyRow('4.1'))?.last_received_at, 'the bad record\'s study update rolled back with it').to.equal(iso(T + 1));
      });

      it('a later instance keeps what it does not say (accession, date, description, expected count)', async () => {
        const r = await fresh();
        await r.instances.record(instance('5.1', T, { accessionNumber: 'ACC5', studyDate: '20300601', studyDescription: 'CT CHEST', expectedStudyInstances: 3 }));
        await r.instances.record(instance('5.1', T + 1));
        expect(await r.studyRow('5.1')).to.deep.include({ accession_number: 'ACC5', study_date: '20300601', study_description: 'CT CHEST', expected_instances: 3 });
        await r.instances.record(instance('5.1', T + 2, { accessionNumber: 'ACC6', studyDescription: 'CT CHEST W/O', expectedStudyInstances: 4 }));
        expect(await r.studyRow('5.1')).to.deep.include({ accession_number: 'ACC6', study_date: '20300601', study_description: 'CT CHEST W/O', expected_instances: 4 });
      });
    });

    describe('completion', () => {
      it('not due: nothing; due: complete with one analysis job; again: nothing', async () => {
        const r = await fresh();
        await r.instances.record(instance('6.1', T));
        expect(await r.completion.dueAt('6.1')).to.equal(T + QUIET);
        expect(await r.completion.completeIfDue('6.1', T + QUIET - 1)).to.equal(false);
        expect(await r.jobsReader.forStudy('6.1')).to.deep.equal([]);
        expect(await r.completion.completeIfDue('6.1', T + QUIET)).to.equal(true);
        expect(await r.completion.completeIfDue('6.1', T + QUIET + 1)).to.equal(false);
        expect(await r.studyRow('6.1')).to.deep.include({ status: 'complete', completed_at: iso(T + QUIET), complete_due_at: null });
        expect(await r.completion.dueAt('6.1'), 'not receiving').to.equal(undefined);
        expect(await r.completion.dueAt('6.9'), 'unknown').to.equal(undefined);
        const jobs = await r.jobsReader.forStudy('6.1');
        expect(jobs.map((j) => [j.kind, j.state, j.attempts, j.nextAttemptAt])).to.deep.equal([[JobKind.AnalyzeStudy, 'queued', 0, iso(T + QUIET)]]);
        expect(await r.completion.completeIfDue('6.9', T + QUIET), 'unknown study').to.equal(false);
      });

      it('completes at the announced count before the quiet period, not before the count', async () => {
        const r = await fresh();
        const p1 = await r.instances.record(instance('7.1', T, { expectedStudyInstances: 2 }));
        expect(p1).to.deep.include({ instanceCount: 1, expectedInstances: 2 });
        expect(await r.completion.completeIfDue('7.1', T + 1)).to.equal(false);
        const p2 = await r.instances.record(instance('7.1', T + 2));
        expect(p2).to.deep.include({ instanceCount: 2, expectedInstances: 2 });
        expect(await r.completion.completeIfDue('7.1', T + 3)).to.equal(true);
        expect((await r.jobsReader.forStudy('7.1')).length).to.equal(1);
      });

      it('lists the receiving studies with their due time and counts', async () => {
        const r = await fresh();
        await r.instances.record(instance('8.1', T));
        await r.instances.record(instance('8.1', T + 100, { expectedStudyInstances: 9 }));
        await r.instances.record(instance('8.2', T + 50));
        await r.instances.record(instance('8.3', T));
        await r.completion.completeIfDue('8.3', T + QUIET);
        const receiving = (await r.completion.receiving()).sort((a, b) => a.studyInstanceUid.localeCompare(b.studyInstanceUid));
        expect(receiving).to.deep.equal([
          { studyInstanceUid: '8.1', completeDueAtMs: T + 100 + QUIET, instanceCount: 2, expectedInstances: 9 },
          { studyInstanceUid: '8.2', completeDueAtMs: T + 50 + QUIET, instanceCount: 1, expectedInstances: undefined },
        ]);
      });

      it('a late instance re-opens a completed study and pushes its due time back; completing again queues a re-analysis', async () => {
        const r = await fresh();
        await r.instances.record(instance('9.1', T));
        expect(await r.completion.completeIfDue('9.1', T + QUIET)).to.equal(true);
        await analysis(r, '9.1', 'done', T + QUIET + 1);
        const late = await r.instances.record(instance('9.1', T + QUIET + 100));
        expect(late).to.deep.include({ instanceCount: 2, completeDueAtMs: T + 2 * QUIET + 100 });
        expect(await r.studyRow('9.1')).to.deep.include({ status: 'receiving', complete_due_at: iso(T + 2 * QUIET + 100), completed_at: iso(T + QUIET) });
        expect(await r.completion.completeIfDue('9.1', T + 2 * QUIET + 99)).to.equal(false);
        expect(await r.completion.completeIfDue('9.1', T + 2 * QUIET + 100)).to.equal(true);
        expect((await r.jobsReader.forStudy('9.1')).map((j) => j.state)).to.deep.equal(['done', 'queued']);
      });

      it('an instance that does not re-open (reopensStudy false) is indexed, the completed study stays complete', async () => {
        const r = await fresh();
        await r.instances.record(instance('10.1', T));
        await r.completion.completeIfDue('10.1', T + QUIET);
        const before = await r.studyRow('10.1');
        const p = await r.instances.record(instance('10.1', T + QUIET + 5, { reopensStudy: false, modality: 'SR', accessionNumber: 'NEW' }));
        expect(p.instanceCount).to.equal(2);
        expect(await r.studyRow('10.1'), 'the study row is untouched').to.deep.equal(before);
        expect(await r.completion.completeIfDue('10.1', T + 3 * QUIET)).to.equal(false);
        expect((await r.jobsReader.forStudy('10.1')).length).to.equal(1);
        // a study first seen through such an instance is created, receiving
        await r.instances.record(instance('10.2', T, { reopensStudy: false }));
        expect(await r.studyRow('10.2')).to.deep.include({ status: 'receiving', complete_due_at: iso(T + QUIET) });
      });

      it('completion and its job are atomic: a failure queueing the job leaves the study receiving and no job', async () => {
        const r = await fresh();
        await r.instances.record(instance('11.1', T));
        const err = await r.completionFailingEnqueue.completeIfDue('11.1', T + QUIET).then(() => undefined, (e: unknown) => e as Error);
        expect(err).to.be.instanceOf(Error);
        expect((await r.studyRow('11.1'))?.status).to.equal('receiving');
        expect(await r.jobsReader.forStudy('11.1')).to.deep.equal([]);
        expect(await r.completion.dueAt('11.1'), 'still due: the sweep or a restart completes it').to.equal(T + QUIET);
        expect(await r.completion.completeIfDue('11.1', T + QUIET)).to.equal(true);
      });

      describe('driven by the StudyAssembler (its timers on a fake clock)', () => {
        async function assembled() {
          const r = await fresh();
          const clock = new FakeClock();
          const assembler = new StudyAssembler(r.completion, { rule: new CompletionRule(QUIET), clock, log: silentLogger });
          const receive = async (study: string, expected?: number) =>
            assembler.instanceRecorded(await r.instances.record(instance(study, clock.now(), { expectedStudyInstances: expected })));
          const advance = async (ms: number) => {
            clock.advance(ms);
            await assembler.idle();
          };
          const jobs = async (study: string) => (await r.jobsReader.forStudy(study)).length;
          return { r, clock, assembler, receive, advance, jobs };
        }

        it('completes after the quiet period, not before, each new instance restarting the wait', async () => {
          const t = await assembled();
          await t.receive('12.1');
          await t.advance(9_000);
          await t.receive('12.1');
          await t.advance(9_000);
          expect(await t.jobs('12.1')).to.equal(0);
          await t.advance(1_000);
          expect(await t.jobs('12.1')).to.equal(1);
          expect((await t.r.studyRow('12.1'))?.status).to.equal('complete');
        });

        it('completes as soon as the announced number of instances has arrived', async () => {
          const t = await assembled();
          await t.receive('12.2', 2);
          await t.advance(0);
          expect(await t.jobs('12.2')).to.equal(0);
          await t.receive('12.2', 2);
          await t.advance(0);
          expect(await t.jobs('12.2')).to.equal(1);
        });

        it('re-arms timers for the studies still receiving at a restart, completing overdue ones at once', async () => {
          const t = await assembled();
          await t.receive('12.3');
          await t.advance(QUIET - 5_000);
          await t.receive('12.4');
          await t.assembler.stop();
          await t.advance(5_010);
          const restarted = new StudyAssembler(t.r.completion, { rule: new CompletionRule(QUIET), clock: t.clock, log: silentLogger });
          expect(await restarted.resume()).to.equal(2);
          t.clock.advance(0);
          await restarted.idle();
          expect([await t.jobs('12.3'), await t.jobs('12.4')]).to.deep.equal([1, 0]);
          t.clock.advance(4_990);
          await restarted.idle();
          expect([await t.jobs('12.3'), await t.jobs('12.4')]).to.deep.equal([1, 1]);
        });
      });
    });

    describe('the studies reader', () => {
      it('lists the most recently received first, with modalities, counts, states and ISO times; pages', async () => {
        const r = await fresh();
        await r.instances.record(instance('13.1', T, { accessionNumber: 'ACC1', modality: 'PT' }));
        await r.instances.record(instance('13.1', T + 1, { modality: 'CT' }));
        await r.instances.record(instance('13.1', T + 2, { modality: 'CT' }));
        await r.instances.record(instance('13.2', T + 1000, { accessionNumber: 'ACC1', modality: 'MR' }));
        await r.instances.record(instance('13.3', T + 2000, { modality: '' }));
        await r.completion.completeIfDue('13.1', T + QUIET + 2);
        expect(await r.studies.list({ limit: 10, offset: 0 })).to.deep.equal([
          { studyInstanceUid: '13.3', accessionNumber: '', modalities: [], instanceCount: 1, status: 'receiving', receivedAt: iso(T + 2000), completedAt: null, purgedAt: null },
          { studyInstanceUid: '13.2', accessionNumber: 'ACC1', modalities: ['MR'], instanceCount: 1, status: 'receiving', receivedAt: iso(T + 1000), completedAt: null, purgedAt: null },
          { studyInstanceUid: '13.1', accessionNumber: 'ACC1', modalities: ['CT', 'PT'], instanceCount: 3, status: 'complete', receivedAt: iso(T), completedAt: iso(T + QUIET + 2), purgedAt: null },
        ]);
        expect((await r.studies.list({ limit: 1, offset: 1 })).map((s) => s.studyInstanceUid)).to.deep.equal(['13.2']);
        expect(await r.studies.list({ limit: 10, offset: 3 })).to.deep.equal([]);
      });

      it('links a report by Study Instance UID, else by accession number; an empty accession links nothing', async () => {
        const r = await fresh();
        await r.instances.record(instance('14.1', T, { accessionNumber: 'ACC1' }));
        await r.instances.record(instance('14.2', T + 1, { accessionNumber: 'ACC1' }));
        await r.instances.record(instance('14.3', T + 2));
        expect((await r.studies.linkedTo('', 'ACC1')).sort()).to.deep.equal(['14.1', '14.2']);
        expect(await r.studies.linkedTo('14.3', '')).to.deep.equal(['14.3']);
        expect(await r.studies.linkedTo('14.9', ''), 'no study with an empty accession is linked by it').to.deep.equal([]);
        expect(await r.studies.linkedTo('14.1', 'ACC2')).to.deep.equal(['14.1']);
        expect(await r.studies.accessionOf('14.1')).to.equal('ACC1');
        expect(await r.studies.accessionOf('14.3')).to.equal('');
        expect(await r.studies.accessionOf('14.9')).to.equal(undefined);
      });
    });

    describe('retention', () => {
      type Fate = 'delivered' | 'pending' | 'dead' | 'no-destination' | 'never-analysed' | 'analysis-failed' | 'analysing' | 'receiving';
      /** A study of `count` instances of `bytes` each, last received at `at`, taken to `fate`. */
      async function study(r: IntakeRepos, uid: string, at: number, fate: Fate, options: { count?: number; bytes?: number } = {}): Promise<{ instances: string[]; result?: string }> {
        const paths: string[] = [];
        for (let i = 0; i < (options.count ?? 2); i++) {
          const x = instance(uid, at - (options.count ?? 2) + i + 1, { sizeBytes: options.bytes ?? 100 });
          await r.instances.record(x);
          paths.push(x.path);
        }
        if (fate === 'receiving') return { instances: paths };
        expect(await r.completion.completeIfDue(uid, at + QUIET)).to.equal(true);
        if (fate === 'never-analysed') return { instances: paths };
        if (fate === 'analysing' || fate === 'analysis-failed') {
          await analysis(r, uid, fate === 'analysing' ? 'running' : 'failed', at + QUIET + 1);
          return { instances: paths };
        }
        await analysis(r, uid, 'done', at + QUIET + 1);
        if (fate === 'no-destination') return { instances: paths };
        return { instances: paths, result: await delivery(r, uid, fate, at + QUIET + 2) };
      }

      it('lists only studies nothing needs any more, the longest quiet first, with their counts and bytes', async () => {
        const r = await fresh();
        await study(r, '15.1', T + 3000, 'delivered', { count: 3, bytes: 1000 });
        await study(r, '15.2', T + 1000, 'no-destination');
        for (const [i, fate] of (['pending', 'dead', 'never-analysed', 'analysis-failed', 'analysing', 'receiving'] as const).entries()) await study(r, `15.${i + 3}`, T, fate);
        expect(await r.retention.candidates()).to.deep.equal([
          { studyInstanceUid: '15.2', lastReceivedAt: iso(T + 1000), instanceCount: 2, bytes: 200 },
          { studyInstanceUid: '15.1', lastReceivedAt: iso(T + 3000), instanceCount: 3, bytes: 3000 },
        ]);
        expect(await r.retention.totalInstanceBytes()).to.equal(3000 + 7 * 200);
      });

      it('purges rows before files: answers the instance and delivered result paths, records the purge; re-checks the rule', async () => {
        const r = await fresh();
        const made = await study(r, '16.1', T, 'delivered', { count: 2, bytes: 150 });
        await study(r, '16.2', T, 'delivered');
        const purged = await r.retention.purge('16.1', T + 40 * QUIET);
        // the order of the paths is the engine's (the caller deletes each)
        expect(purged && { ...purged, instancePaths: [...purged.instancePaths].sort() }).to.deep.equal({ studyInstanceUid: '16.1', instancePaths: [...made.instances].sort(), resultPaths: [made.result], bytes: 300 });
        expect(await r.instances.forStudy('16.1')).to.deep.equal([]);
        expect(await r.studyRow('16.1')).to.deep.include({ status: 'complete', purged_at: iso(T + 40 * QUIET), purged_instances: 2, purged_bytes: 300 });
        expect(await r.retention.purge('16.1', T + 41 * QUIET), 'nothing left to purge').to.equal(undefined);
        expect(await r.retention.purge('16.9', T), 'unknown study').to.equal(undefined);
        // 16.2 stops qualifying between listing and purging: a new delivery is queued
        await r.outbox.enqueue({ kind: 'hl7', destination: 'ris', studyInstanceUid: '16.2', dedupeKey: 'x', payload: 'MSH|' }, T);
        expect(await r.retention.purge('16.2', T + 40 * QUIET)).to.equal(undefined);
        expect((await r.instances.forStudy('16.2')).length).to.equal(2);
        expect(await r.retention.totalInstanceBytes()).to.equal(200);
      });

      it('a study that receives an instance after its purge re-opens with only that instance and can be purged again', async () => {
        const r = await fresh();
        await study(r, '17.1', T, 'delivered', { bytes: 100 });
        await r.retention.purge('17.1', T + 40 * QUIET);
        const at = T + 50 * QUIET;
        expect((await r.instances.record(instance('17.1', at, { sizeBytes: 50 }))).instanceCount).to.equal(1);
        expect((await r.studies.list({ limit: 1, offset: 0 }))[0]).to.deep.include({ status: 'receiving', instanceCount: 1, purgedAt: iso(T + 40 * QUIET) });
        expect(await r.retention.candidates(), 'receiving: kept').to.deep.equal([]);
        expect(await r.completion.completeIfDue('17.1', at + QUIET)).to.equal(true);
        await analysis(r, '17.1', 'done', at + QUIET);
        expect((await r.retention.purge('17.1', at + 2 * QUIET))?.bytes).to.equal(50);
        expect(await r.studyRow('17.1')).to.deep.include({ purged_instances: 3, purged_bytes: 250, purged_at: iso(at + 2 * QUIET) });
      });
    });

    describe('the operator\'s views', () => {
      it('status summary: studies, jobs by state, outbox depth per destination, dead letters, the latest errors newest first', async () => {
        const r = await fresh();
        const empty = await r.status.summary();
        expect(empty).to.deep.equal({
          studies: { receiving: 0, complete: 0, purged: 0 }, jobs: { queued: 0, running: 0, done: 0, failed: 0 }, outbox: [], deadLetters: 0, lastErrors: [],
        });
        await study3(r);
        const s = await r.status.summary();
        expect(s.studies).to.deep.equal({ receiving: 1, complete: 2, purged: 1 });
        expect(s.jobs).to.deep.equal({ queued: 0, running: 0, done: 1, failed: 1 });
        expect(s.outbox).to.deep.equal([
          { destination: 'pacs', kind: 'dicom', pending: 1, sending: 0, delivered: 1, dead: 1 },
          { destination: 'ris', kind: 'hl7', pending: 1, sending: 0, delivered: 0, dead: 0 },
        ]);
        expect(s.deadLetters).to.equal(1);
        expect(s.lastErrors).to.deep.equal([
          { source: 'outbox', id: s.lastErrors[0]?.id, studyInstanceUid: '18.2', destination: 'ris', state: 'pending', attempts: 1, error: 'ris down', at: iso(T + 700) },
          { source: 'outbox', id: s.lastErrors[1]?.id, studyInstanceUid: '18.2', destination: 'pacs', state: 'dead', attempts: 1, error: 'refused', at: iso(T + 600) },
          { source: 'job', id: s.lastErrors[2]?.id, studyInstanceUid: '18.3', state: 'failed', attempts: 1, error: 'decoder failed', at: iso(T + 500) },
        ]);
        expect((await r.status.summary({ errors: 1 })).lastErrors.map((e) => e.error)).to.deep.equal(['ris down']);
      });

      it('jobs reader: a study\'s analysis jobs oldest first, counts by state and by kind and state', async () => {
        const r = await fresh();
        await study3(r);
        await r.jobs.enqueue({ kind: JobKind.ProcessReport, studyInstanceUid: '18.2', refId: 7 }, T + 800);
        const jobs = await r.jobsReader.forStudy('18.1');
        expect(jobs).to.deep.equal([
          { id: jobs[0]?.id, partition: JobKind.AnalyzeStudy, kind: JobKind.AnalyzeStudy, studyInstanceUid: '18.1', refId: null, state: 'done', attempts: 1,
            createdAtMs: T, nextAttemptAt: iso(T), lastError: null },
        ]);
        expect(await r.jobsReader.forStudy('18.2'), 'analysis jobs only').to.deep.equal([]);
        expect(await r.jobsReader.countByState()).to.deep.equal({ queued: 1, running: 0, done: 1, failed: 1 });
        expect(await r.jobsReader.countByKindAndState()).to.deep.equal([
          { kind: JobKind.AnalyzeStudy, state: 'done', count: 1 },
          { kind: JobKind.AnalyzeStudy, state: 'failed', count: 1 },
          { kind: JobKind.ProcessReport, state: 'queued', count: 1 },
        ]);
      });

      it('outbox reader: has, get, list newest first by state and study, counts, per-destination stats', async () => {
        const r = await fresh();
        const ids = await study3(r);
        expect(await r.outboxItems.has('pacs', '18.1.sr')).to.equal(true);
        expect(await r.outboxItems.has('ris', '18.1.sr')).to.equal(false);
        expect(await r.outboxItems.get(ids.delivered)).to.deep.equal({
          id: ids.delivered, partition: 'pacs', kind: 'dicom', destination: 'pacs', studyInstanceUid: '18.1', dedupeKey: '18.1.sr', payload: 'results/18.1/sr.dcm',
          state: 'delivered', attempts: 1, createdAtMs: T + 100, nextAttemptAt: iso(T + 100), lastError: null, createdAt: iso(T + 100), deliveredAt: iso(T + 300),
        });
        expect(await r.outboxItems.get(ids.delivered + 1000)).to.equal(undefined);
        expect((await r.outboxItems.list({ limit: 10 })).map((i) => i.id)).to.deep.equal([ids.ris, ids.pending, ids.dead, ids.delivered]);
        expect((await r.outboxItems.list({ limit: 2 })).map((i) => i.id)).to.deep.equal([ids.ris, ids.pending]);
        expect((await r.outboxItems.list({ state: 'pending', limit: 10 })).map((i) => i.id)).to.deep.equal([ids.ris, ids.pending]);
        expect((await r.outboxItems.list({ state: 'pending', studyInstanceUid: '18.2', limit: 10 })).map((i) => i.id)).to.deep.equal([ids.ris]);
        expect((await r.outboxItems.list({ studyInstanceUid: '18.1', limit: 10 })).map((i) => i.id)).to.deep.equal([ids.pending, ids.delivered]);
        expect(await r.outboxItems.countByDestinationAndState()).to.deep.equal([
          { destination: 'pacs', state: 'dead', count: 1 },
          { destination: 'pacs', state: 'delivered', count: 1 },
          { destination: 'pacs', state: 'pending', count: 1 },
          { destination: 'ris', state: 'pending', count: 1 },
        ]);
        expect(await r.outboxItems.destinationStats()).to.deep.equal([
          { destination: 'pacs', pending: 1, dead: 1, lastDeliveredAt: iso(T + 300), lastError: 'refused', lastErrorAt: iso(T + 600) },
          { destination: 'ris', pending: 1, dead: 0, lastDeliveredAt: null, lastError: 'ris down', lastErrorAt: iso(T + 700) },
        ]);
      });

      /**
       * 18.1 complete, analysed, its SR delivered to pacs, then purged, and a second SR pending; 18.2 receiving, an
       * SR dead at pacs and a message retrying at ris; 18.3 complete, its analysis failed for good.
       */
      async function study3(r: IntakeRepos): Promise<{ delivered: number; pending: number; dead: number; ris: number }> {
        await r.instances.record(instance('18.1', T - QUIET));
        await r.instances.record(instance('18.2', T + 50));
        await r.instances.record(instance('18.3', T - QUIET));
        await r.completion.completeIfDue('18.1', T);
        await r.completion.completeIfDue('18.3', T);
        const [job1] = await r.jobs.claim({ partition: JobKind.AnalyzeStudy, owner: OWNER, leaseMs: 60_000, limit: 1, nowMs: T + QUIET });
        const [job3] = await r.jobs.claim({ partition: JobKind.AnalyzeStudy, owner: OWNER, leaseMs: 60_000, limit: 1, nowMs: T + QUIET });
        expect([job1?.studyInstanceUid, job3?.studyInstanceUid]).to.deep.equal(['18.1', '18.3']);
        await r.jobs.complete(job1?.id ?? -1, OWNER, T + QUIET);
        await r.jobs.fail(job3?.id ?? -1, OWNER, { error: 'decoder failed', retryAtMs: undefined }, T + 500);
        const delivered = (await r.outbox.enqueue({ kind: 'dicom', destination: 'pacs', studyInstanceUid: '18.1', dedupeKey: '18.1.sr', payload: 'results/18.1/sr.dcm' }, T + 100)).id;
        const dead = (await r.outbox.enqueue({ kind: 'dicom', destination: 'pacs', studyInstanceUid: '18.2', dedupeKey: '18.2.sr', payload: 'results/18.2/sr.dcm' }, T + 100)).id;
        const [a, b] = await r.outbox.claim({ partition: 'pacs', owner: OWNER, leaseMs: 60_000, limit: 2, nowMs: T + 200 });
        expect([a?.id, b?.id]).to.deep.equal([delivered, dead]);
        await r.outbox.complete(delivered, OWNER, T + 300);
        await r.outbox.fail(dead, OWNER, { error: 'refused', retryAtMs: undefined }, T + 600);
        expect(await r.retention.purge('18.1', T + 400)).to.not.equal(undefined);
        const pending = (await r.outbox.enqueue({ kind: 'dicom', destination: 'pacs', studyInstanceUid: '18.1', dedupeKey: '18.1.sr2', payload: 'results/18.1/sr2.dcm' }, T + 400)).id;
        const ris = (await r.outbox.enqueue({ kind: 'hl7', destination: 'ris', studyInstanceUid: '18.2', dedupeKey: 'm1', payload: 'MSH|' }, T + 450)).id;
        const [m] = await r.outbox.claim({ partition: 'ris', owner: OWNER, leaseMs: 60_000, limit: 1, nowMs: T + 650, inOrder: true });
        expect(await r.outbox.fail(m?.id ?? -1, OWNER, { error: 'ris down', retryAtMs: T + 5000 }, T + 700)).to.equal('retrying');
        return { delivered, pending, dead, ris };
      }
    });
  });
}
