/** The scheduler: a seconds cron really fires, a job never overlaps itself, a failure is logged and not fatal, stop() waits. */
import { expect } from 'chai';
import { HousekeepingScheduler } from '../../../src/housekeeping/scheduler.js';
import type { LogFields, Logger } from '../../../src/log.js';
import { waitFor } from '../../helpers/fixtures.js';

function recordingLogger(): Logger & { lines: Array<{ level: string; message: string; fields: LogFields }> } {
  const lines: Array<{ level: string; message: string; fields: LogFields }> = [];
  const make = (bindings: LogFields): Logger => ({
    error: (message, fields) => lines.push({ level: 'error', message, fields: { ...bindings, ...fields } }),
    warn: (message, fields) => lines.push({ level: 'warn', message, fields: { ...bindings, ...fields } }),
    info: (message, fields) => lines.push({ level: 'info', message, fields: { ...bindings, ...fields } }),
    debug: (message, fields) => lines.push({ level: 'debug', message, fields: { ...bindings, ...fields } }),
    child: (b) => make({ ...bindings, ...b }),
  });
  return Object.assign(make({}), { lines });
}

describe('housekeeping/scheduler', function () {
  this.timeout(20_000);

  it('runs a job on its schedule (a seconds cron fires, again and again) until stop()', async () => {
    const log = recordingLogger();
    const scheduler = new HousekeepingScheduler(log);
    let runs = 0;
    scheduler.add({ name: 'tick', schedule: '*/1 * * * * *', run: async () => ({ run: ++runs }) });
    scheduler.start();
    try {
      await waitFor('two scheduled runs', () => runs >= 2, 10_000);
    } finally {
      await scheduler.stop();
    }
    const after = runs;
    expect(log.lines.filter((l) => l.message === 'housekeeping job done' && l.fields.job === 'tick').length).to.equal(after);
    // stopped: a later second brings no run (runNow after stop is refused too)
    expect(await scheduler.runNow('tick')).to.deep.equal({ kind: 'skipped' });
    expect(runs).to.equal(after);
  });

  it('never runs a job twice at once: a run that finds it busy is skipped', async () => {
    const scheduler = new HousekeepingScheduler(recordingLogger());
    let release: () => void = () => {};
    let started = 0;
    scheduler.add({ name: 'slow', schedule: '0 0 1 1 *', run: () => new Promise((resolve) => { started += 1; release = () => resolve(undefined); }) });
    const first = scheduler.runNow('slow');
    expect(await scheduler.runNow('slow')).to.deep.equal({ kind: 'skipped' });
    expect(started).to.equal(1);
    release();
    expect((await first).kind).to.equal('done');
    const third = scheduler.runNow('slow'); // free again
    expect(started).to.equal(2);
    release();
    await third;
  });

  it('logs a failing job at error and keeps going: the next run works', async () => {
    const log = recordingLogger();
    const scheduler = new HousekeepingScheduler(log);
    let fail = true;
    scheduler.add({ name: 'flaky', schedule: '0 0 1 1 *', run: async () => { if (fail) throw new Error('disk on fire'); return { ok: 1 }; } });
    expect(await scheduler.runNow('flaky')).to.deep.equal({ kind: 'failed', error: 'disk on fire' });
    expect(log.lines.find((l) => l.level === 'error')?.fields).to.include({ job: 'flaky', err: 'disk on fire' });
    fail = false;
    expect(await scheduler.runNow('flaky')).to.deep.equal({ kind: 'done', fields: { ok: 1 } });
  });

  it('stop() waits for the run in progress', async () => {
    const scheduler = new HousekeepingScheduler(recordingLogger());
    let finished = false;
    let release: () => void = () => {};
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => (started = resolve));
    scheduler.add({ name: 'slow', schedule: '0 0 1 1 *', run: () => new Promise((resolve) => { started(); release = () => { finished = true; resolve(undefined); }; }) });
    scheduler.start();
    void scheduler.runNow('slow');
    await running; // sync point: the job is in progress
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    // No timer or I/O is involved: once the promise callbacks already queued have run (one macrotask turn),
    // a stop() that did not wait for the job would have resolved.
    await new Promise((r) => setImmediate(r));
    expect(stopped).to.equal(false);
    release();
    await stopping;
    expect(finished).to.equal(true);
  });
});
