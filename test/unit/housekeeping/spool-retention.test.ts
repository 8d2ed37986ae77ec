/**
 * Spool retention on a real database and spool folder: old delivered studies go, by age and by size, oldest
 * first; a study whose results are not delivered (pending, dead, never analysed, failed, analysing, receiving)
 * never goes; a study that receives an instance after its purge is received and can be purged again.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { JobKind, RetentionRepo, SqliteJobQueue, SqliteOutboxQueue, StudiesRepo, openDatabase, type Db } from '../../../src/db/index.js';
import { SqliteStudyStore } from '../../../src/studies/index.js';
import { prepareInstanceWrites } from '../../../src/db/instance-writes.js';
import type { Uid } from '../../../src/dicom/index.js';
import { runRetention } from '../../../src/housekeeping/spool-retention.js';
import { silentLogger } from '../../../src/log.js';
import { LocalSpool } from '../../../src/storage/local-spool.js';
import { instanceKey, resultKey } from '../../../src/storage/spool-key.js';
import { runCleanups, tempDir } from '../../helpers/fixtures.js';

const DAY = 86_400_000;
const NOW = Date.parse('2030-06-01T00:00:00Z');

const OWNER = 'test-node';

type Fate = 'delivered' | 'pending' | 'dead' | 'no-destination' | 'never-analysed' | 'analysis-failed' | 'analysing' | 'receiving';

function setup() {
  const dir = tempDir();
  const db = openDatabase(join(dir, 'gateway.sqlite'));
  const spool = new LocalSpool(dir);
  /** Where the local spool keeps a key (the test looks at the folder itself). */
  const onDisk = (key: string): string => join(spool.root, key);
  const write = prepareInstanceWrites(db, 1000);
  const jobs = new SqliteJobQueue(db);
  const repos = { studies: new StudiesRepo(db), completion: new SqliteStudyStore(db, jobs, JobKind.AnalyzeStudy), jobs, outbox: new SqliteOutboxQueue(db), retention: new RetentionRepo(db) };
  let n = 0;

  /** A study of `count` instances of `bytes` each, last received `ageDays` before NOW, taken to `fate`. */
  async function study(uid: string, ageDays: number, fate: Fate, options: { count?: number; bytes?: number } = {}): Promise<string[]> {
    const at = NOW - ageDays * DAY;
    const paths: string[] = [];
    db.transaction(() => {
      for (let i = 0; i < (options.count ?? 2); i++) {
        const path = instanceKey(uid as Uid, `${uid}.${++n}` as Uid);
        mkdirSync(dirname(onDisk(path)), { recursive: true });
        writeFileSync(onDisk(path), Buffer.alloc(options.bytes ?? 100));
        paths.push(path);
        write(record(uid, `${uid}.${n}`, path, options.bytes ?? 100, at));
      }
    })();
    if (fate === 'receiving') return paths;
    expect(await repos.completion.completeIfDue(uid, at + 2000)).to.equal(true);
    if (fate === 'never-analysed') return paths;
    const [job] = await repos.jobs.claim({ partition: JobKind.AnalyzeStudy, owner: OWNER, leaseMs: 60_000, limit: 1, nowMs: at + 3000 });
    if (job === undefined) throw new Error('no job');
    if (fate === 'analysing') return paths;
    if (fate === 'analysis-failed') {
      await repos.jobs.fail(job.id, OWNER, { error: 'decoder failed', retryAtMs: undefined }, at + 4000);
      return paths;
    }
    await repos.jobs.complete(job.id, OWNER, at + 4000);
    if (fate === 'no-destination') return paths;
    const sr = resultKey(uid as Uid, `${uid}.99` as Uid);
    mkdirSync(dirname(onDisk(sr)), { recursive: true });
    writeFileSync(onDisk(sr), 'SR');
    paths.push(sr);
    // A destination per study: claiming one study's delivery never takes another's.
    await repos.outbox.enqueue({ kind: 'dicom', destination: `pacs-${uid}`, studyInstanceUid: uid, dedupeKey: `${uid}.99`, payload: sr }, at + 5000);
    if (fate === 'pending') return paths;
    const [item] = await repos.outbox.claim({ partition: `pacs-${uid}`, owner: OWNER, leaseMs: 60_000, limit: 1, nowMs: at + 5500 });
    if (item === undefined) throw new Error('no outbox item');
    if (fate === 'delivered') await repos.outbox.complete(item.id, OWNER, at + 6000);
    if (fate === 'dead') await repos.outbox.fail(item.id, OWNER, { error: 'refused', retryAtMs: undefined }, at + 6000);
    return paths;
  }
  const run = (policy: { maxAgeDays?: number; maxTotalBytes?: number }, now = NOW) => runRetention({ retention: repos.retention, spool, log: silentLogger }, policy, now);
  const purgedAt = async (uid: string) => (await repos.studies.list({ limit: 100, offset: 0 })).find((s) => s.studyInstanceUid === uid)?.purgedAt;
  return { db, spool, onDisk, write, repos, study, run, purgedAt };
}

function record(study: string, sop: string, path: string, sizeBytes: number, at: number) {
  return {
    sopInstanceUid: sop, studyInstanceUid: study, seriesInstanceUid: `${study}.1`, sopClassUid: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxUid: '1.2.840.10008.1.2.1',
    accessionNumber: '', modality: 'CT', bodyPart: 'CHEST', seriesNumber: 1, instanceNumber: 1, sizeBytes, path, callingAe: 'PACS', receivedAtMs: at,
    studyDate: '', studyDescription: '', expectedStudyInstances: undefined, reopensStudy: true,
  };
}

const instanceCount = (db: Db, uid: string): number => db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM instances WHERE study_instance_uid = ?').get(uid)?.n ?? -1;

describe('housekeeping/spool-retention', () => {
  after(runCleanups);

  it('does nothing without a limit (retention is opt-in)', async () => {
    const t = setup();
    const files = await t.study('1.1', 400, 'delivered');
    expect(await t.run({})).to.deep.equal({ purgedStudies: 0, purgedInstances: 0, purgedBytes: 0 });
    for (const f of files) expect(existsSync(t.onDisk(f))).to.equal(true);
  });

  it('by age: purges old delivered studies (files, rows, delivered SR), keeps recent ones, records purgedAt', async () => {
    const t = setup();
    const old = await t.study('1.1', 40, 'delivered');
    const oldNoDest = await t.study('1.2', 40, 'no-destination');
    const recent = await t.study('1.3', 5, 'delivered');
    const r = await t.run({ maxAgeDays: 30 });
    expect(r).to.deep.include({ purgedStudies: 2, purgedInstances: 4, purgedBytes: 400 });
    for (const f of [...old, ...oldNoDest]) expect(existsSync(t.onDisk(f)), f).to.equal(false);
    for (const f of recent) expect(existsSync(t.onDisk(f)), f).to.equal(true);
    expect(existsSync(t.onDisk('1.1')), 'empty study folder removed').to.equal(false);
    expect(instanceCount(t.db, '1.1')).to.equal(0);
    expect(await t.purgedAt('1.1')).to.equal(new Date(NOW).toISOString());
    expect(await t.purgedAt('1.3')).to.equal(null);
  });

  it('never purges a study whose results are not delivered, however old and however full the spool', async () => {
    const t = setup();
    const kept: Record<string, string[]> = {};
    const fates: Fate[] = ['pending', 'dead', 'never-analysed', 'analysis-failed', 'analysing', 'receiving'];
    for (const [i, fate] of fates.entries()) kept[fate] = await t.study(`2.${i + 1}`, 1000, fate);
    const r = await t.run({ maxAgeDays: 1, maxTotalBytes: 1 });
    expect(r.purgedStudies).to.equal(0);
    expect(r.overLimitBytes).to.equal(fates.length * 200 - 1);
    for (const [fate, files] of Object.entries(kept)) {
      for (const f of files) expect(existsSync(t.onDisk(f)), `${fate}: ${f}`).to.equal(true);
    }
    for (const [i] of fates.entries()) expect(await t.purgedAt(`2.${i + 1}`)).to.equal(null);
  });

  it('by size: purges the oldest delivered studies until the spool is under maxTotalBytes', async () => {
    const t = setup();
    await t.study('3.1', 3, 'delivered', { bytes: 1000 }); // 2000 bytes each
    await t.study('3.2', 9, 'pending', { bytes: 1000 }); // oldest, but undelivered: skipped
    await t.study('3.3', 2, 'delivered', { bytes: 1000 });
    await t.study('3.4', 1, 'delivered', { bytes: 1000 });
    const r = await t.run({ maxTotalBytes: 5000 }); // 8000 → purge 3.1 (6000) → purge 3.3 (4000)
    expect(r).to.deep.include({ purgedStudies: 2, purgedBytes: 4000 });
    expect(r.overLimitBytes).to.equal(undefined);
    expect(await Promise.all(['3.1', '3.2', '3.3', '3.4'].map(async (u) => (await t.purgedAt(u)) !== null))).to.deep.equal([true, false, true, false]);
    expect(await t.repos.retention.totalInstanceBytes()).to.equal(4000);
  });

  it('a study that receives an instance after its purge is received into a fresh folder and can be purged again', async () => {
    const t = setup();
    await t.study('4.1', 40, 'delivered');
    await t.run({ maxAgeDays: 30 });
    // A late instance: the spool recreates the folder it had cached, the study re-opens with only the new instance.
    const file = t.spool.createTempFile();
    file.write(Buffer.alloc(50));
    await file.finish();
    const rel = instanceKey('4.1' as Uid, '4.1.77' as Uid);
    await (await file.commitAs(rel)).durable;
    const progress = t.write(record('4.1', '4.1.77', rel, 50, NOW + 1000));
    expect(progress.instanceCount).to.equal(1);
    expect((await t.repos.studies.list({ limit: 10, offset: 0 }))[0]).to.include({ status: 'receiving', instanceCount: 1 });
    expect((await t.run({ maxAgeDays: 30 }, NOW + 2 * DAY)).purgedStudies, 'receiving: kept').to.equal(0);
    // Completed, analysed again (no destination): purgeable once old; the counts add up.
    expect(await t.repos.completion.completeIfDue('4.1', NOW + 2 * DAY)).to.equal(true);
    const [job] = await t.repos.jobs.claim({ partition: JobKind.AnalyzeStudy, owner: OWNER, leaseMs: 60_000, limit: 1, nowMs: NOW + 2 * DAY });
    await t.repos.jobs.complete(job?.id ?? -1, OWNER, NOW + 2 * DAY);
    expect((await t.run({ maxAgeDays: 30 }, NOW + 40 * DAY)).purgedStudies).to.equal(1);
    expect(existsSync(t.onDisk(rel))).to.equal(false);
    const row = t.db.prepare<[], { purged_instances: number; purged_bytes: number }>(`SELECT purged_instances, purged_bytes FROM studies WHERE study_instance_uid = '4.1'`).get();
    expect(row).to.deep.equal({ purged_instances: 3, purged_bytes: 250 });
  });

  it('skips a study that stopped qualifying between listing and purge', async () => {
    const t = setup();
    await t.study('5.1', 40, 'delivered');
    const [candidate] = await t.repos.retention.candidates();
    expect(candidate?.studyInstanceUid).to.equal('5.1');
    await t.repos.outbox.enqueue({ kind: 'hl7', destination: 'ris', studyInstanceUid: '5.1', dedupeKey: 'x', payload: 'MSH|' }, NOW);
    expect(await t.repos.retention.purge('5.1', NOW)).to.equal(undefined);
    expect(instanceCount(t.db, '5.1')).to.equal(2);
  });
});
