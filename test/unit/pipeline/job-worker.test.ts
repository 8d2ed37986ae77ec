import { expect } from 'chai';
import { join } from 'node:path';
import { JobsRepo, openDatabase } from '../../../src/db/index.js';
import { silentLogger } from '../../../src/log.js';
import { JobWorker, type JobOutcome } from '../../../src/pipeline/job-worker.js';
import { runCleanups, tempDir, waitFor } from '../../helpers/fixtures.js';

describe('pipeline/job-worker', () => {
  after(runCleanups);

  it('runs queued jobs, retries with back-off, gives up after maxAttempts, and requeues jobs a crash left running', async () => {
    const db = openDatabase(join(tempDir(), 'gw.sqlite'));
    const jobs = new JobsRepo(db);
    let t = 1_000_000;
    jobs.enqueue('analyze-study', '1.1', t);
    jobs.enqueue('analyze-study', '1.2', t);
    jobs.enqueue('analyze-study', '1.2', t); // one queued job per study
    const crashed = jobs.claim('analyze-study', t); // a job left running by a crash
    expect(crashed?.studyInstanceUid).to.equal('1.1');
    const seen: string[] = [];
    const worker = new JobWorker({
      kind: 'analyze-study',
      jobs,
      policy: { baseMs: 1000, maxMs: 10_000, maxAttempts: 2 },
      log: silentLogger,
      now: () => t,
      handle: async (job): Promise<JobOutcome> => {
        seen.push(`${job.studyInstanceUid}#${job.attempts}`);
        return job.studyInstanceUid === '1.1' ? { kind: 'done' } : { kind: 'retry', reason: 'model not loaded' };
      },
    });
    worker.start();
    await waitFor('both jobs tried once', () => seen.length === 2);
    expect(jobs.forStudy('1.1')[0]?.state).to.equal('done');
    expect(jobs.forStudy('1.2')[0]).to.include({ state: 'queued', attempts: 1, lastError: 'model not loaded' });
    t += 5_000;
    worker.notify();
    await waitFor('second attempt fails for good', () => jobs.forStudy('1.2')[0]?.state === 'failed');
    expect(seen).to.deep.equal(['1.1#2', '1.2#1', '1.2#2']);
    await worker.stop();
  });
});
