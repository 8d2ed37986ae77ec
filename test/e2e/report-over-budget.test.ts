/**
 * A report whose NLP runs past nlp.timeBudgetMs (GW_ERR_REPORT_OVER_BUDGET) is marked failed once, and stays
 * failed across a restart on the same data dir: the stored text would run over budget again, so its job is not
 * retried, not after the failure and not by the next start's resume, even with a budget it would now fit
 * (issue 15).
 */
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { startDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { runCleanups, tempDir, waitFor } from '../helpers/fixtures.js';
import { sendAndTime, validOru } from '../helpers/hl7-hostile.js';

interface MessageRow {
  state: string;
  last_error: string | null;
}
interface JobRow {
  state: string;
  attempts: number;
  last_error: string | null;
}

describe('e2e: a report over the NLP budget', function () {
  this.timeout(120_000);
  const daemons: DaemonProcess[] = [];
  after(async () => {
    for (const d of daemons) if (d.child.exitCode === null) (d.child.kill('SIGKILL'), await d.exited);
    runCleanups();
  });

  it('is marked failed once, and after a restart is still failed and not retried while a later report is processed', async () => {
    const dataDir = join(tempDir('pag-budget-'), 'var');
    // 100 ms (the schema's minimum) for about 1.2 MB of text, all of it analysed: well over budget on any machine.
    const config = { dataDir, dicom: { port: 0 }, http: { port: 0 }, storage: { minFreeBytes: 0 }, models: [], nlp: { maxReportChars: 2_000_000, timeBudgetMs: 100 } };
    const db = (): Database.Database => new Database(join(dataDir, 'gateway.sqlite'), { readonly: true });
    const read = (controlId: string): { message: MessageRow | undefined; jobs: JobRow[] } => {
      const d = db();
      try {
        const message = d.prepare<[string], MessageRow & { id: number }>('SELECT id, state, last_error FROM hl7_messages WHERE control_id = ?').get(controlId);
        const jobs = message === undefined ? [] : d.prepare<[number], JobRow>("SELECT state, attempts, last_error FROM jobs WHERE kind = 'process-report' AND ref_id = ?").all(message.id);
        return { message, jobs };
      } finally {
        d.close();
      }
    };

    const first = await startDaemon(config);
    daemons.push(first);
    const long = validOru('BUDGET1').replace('No acute cardiopulmonary finding. Heart size normal.', 'Small right pleural effusion. No pneumothorax. '.repeat(26_000));
    expect((await sendAndTime(first.hl7Port ?? -1, long)).ack.code).to.equal('AA');
    const failed = await waitFor('the over-budget report to be marked failed', () => {
      const r = read('BUDGET1');
      return r.message?.state === 'failed' ? r : undefined;
    }, 60_000);
    expect(failed.message?.last_error).to.match(/^GW_ERR_REPORT_OVER_BUDGET: /);
    expect(failed.jobs.map((j) => [j.state, j.attempts])).to.deep.equal([['failed', 1]]);
    first.child.kill('SIGTERM');
    await first.exited;

    // The restart has the default budget, so the later report (the first after a cold start, model loading
    // included) is processed, and the failed one would pass now if it were taken again: it must not be.
    const second = await startDaemon({ ...config, nlp: { maxReportChars: 2_000_000 } });
    daemons.push(second);
    // A later report goes through the same report worker: once it is processed, the worker has run since the start.
    expect((await sendAndTime(second.hl7Port ?? -1, validOru('BUDGET2'))).ack.code).to.equal('AA');
    const later = await waitFor('the later report to be handled after the restart', () => {
      const r = read('BUDGET2');
      return r.message !== undefined && r.message.state !== 'received' ? r : undefined;
    }, 60_000);
    expect(later.message, 'the later report').to.deep.include({ state: 'processed', last_error: null });
    const after = read('BUDGET1');
    expect(after.message?.state).to.equal('failed');
    expect(after.message?.last_error).to.match(/^GW_ERR_REPORT_OVER_BUDGET: /);
    expect(after.jobs.map((j) => [j.state, j.attempts]), 'its job, not taken again').to.deep.equal([['failed', 1]]);
    second.child.kill('SIGTERM');
    await second.exited;
  });
});
