import { expect } from 'chai';
import { silentLogger } from '../../../src/log.js';
import { StudyAssembler, type Clock, type StudyStore } from '../../../src/studies/index.js';

/** A clock whose time moves only when the test says so; `early` makes timers fire that many ms too soon (as Node's can). */
class FakeClock implements Clock {
  t = 1_000_000;
  early = 0;
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    const timer = { at: this.t + ms - this.early, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => (timer.live = false) };
  }
  advance(ms: number): void {
    this.t += ms;
    for (const timer of this.timers.filter((x) => x.live && x.at <= this.t)) {
      timer.live = false;
      timer.fn();
    }
  }
}

class MemoryStudies implements StudyStore {
  rows = new Map<string, { due: number; n: number; expected: number | undefined; status: 'receiving' | 'complete' }>();
  jobs: string[] = [];
  receiving() {
    return [...this.rows.entries()].filter(([, r]) => r.status === 'receiving').map(([uid, r]) => ({ studyInstanceUid: uid, completeDueAtMs: r.due, instanceCount: r.n, expectedInstances: r.expected }));
  }
  complete(uid: string, now: number, kind: string): boolean {
    const r = this.rows.get(uid);
    if (r === undefined || r.status !== 'receiving') return false;
    if (!(r.due <= now || (r.expected !== undefined && r.n >= r.expected))) return false;
    r.status = 'complete';
    this.jobs.push(`${kind}:${uid}`);
    return true;
  }
  dueAt(uid: string): number | undefined {
    const r = this.rows.get(uid);
    return r?.status === 'receiving' ? r.due : undefined;
  }
  record(clock: FakeClock, uid: string, quietMs: number, expected?: number) {
    const r = this.rows.get(uid) ?? { due: 0, n: 0, expected, status: 'receiving' as const };
    r.n += 1;
    r.due = clock.now() + quietMs;
    r.status = 'receiving';
    this.rows.set(uid, r);
    return { studyInstanceUid: uid, instanceCount: r.n, expectedInstances: r.expected, completeDueAtMs: r.due };
  }
}

describe('studies/study-assembler', () => {
  it('completes a study after the quiet period, not before, and each new instance restarts the wait', () => {
    const clock = new FakeClock();
    const store = new MemoryStudies();
    const a = new StudyAssembler(store, { jobKind: 'analyze-study', clock, log: silentLogger });
    a.instanceRecorded(store.record(clock, '1.2', 10_000));
    clock.advance(9_000);
    a.instanceRecorded(store.record(clock, '1.2', 10_000));
    clock.advance(9_000);
    expect(store.jobs).to.deep.equal([]);
    clock.advance(1_000);
    expect(store.jobs).to.deep.equal(['analyze-study:1.2']);
  });

  it('still completes when the timer fires before the due time (it re-arms instead of giving up)', () => {
    const clock = new FakeClock();
    clock.early = 3;
    const store = new MemoryStudies();
    const a = new StudyAssembler(store, { jobKind: 'analyze-study', clock, log: silentLogger });
    a.instanceRecorded(store.record(clock, '1.5', 1_000));
    clock.advance(997); // the early timer fires: not due yet
    expect(store.jobs).to.deep.equal([]);
    clock.early = 0;
    clock.advance(3);
    expect(store.jobs).to.deep.equal(['analyze-study:1.5']);
  });

  it('completes as soon as the announced number of instances has arrived', () => {
    const clock = new FakeClock();
    const store = new MemoryStudies();
    const a = new StudyAssembler(store, { jobKind: 'analyze-study', clock, log: silentLogger });
    a.instanceRecorded(store.record(clock, '1.3', 60_000, 2));
    expect(store.jobs).to.deep.equal([]);
    a.instanceRecorded(store.record(clock, '1.3', 60_000, 2));
    expect(store.jobs).to.deep.equal(['analyze-study:1.3']);
  });

  it('re-opens a completed study on a late instance and queues a re-analysis', () => {
    const clock = new FakeClock();
    const store = new MemoryStudies();
    const a = new StudyAssembler(store, { jobKind: 'analyze-study', clock, log: silentLogger });
    a.instanceRecorded(store.record(clock, '1.4', 1_000));
    clock.advance(1_000);
    a.instanceRecorded(store.record(clock, '1.4', 1_000));
    clock.advance(1_000);
    expect(store.jobs).to.deep.equal(['analyze-study:1.4', 'analyze-study:1.4']);
  });

  it('re-arms timers for studies that were receiving at a restart, completing overdue ones at once', () => {
    const clock = new FakeClock();
    const store = new MemoryStudies();
    store.rows.set('1.5', { due: clock.now() - 5, n: 3, expected: undefined, status: 'receiving' });
    store.rows.set('1.6', { due: clock.now() + 5_000, n: 1, expected: undefined, status: 'receiving' });
    const a = new StudyAssembler(store, { jobKind: 'analyze-study', clock, log: silentLogger });
    expect(a.resume()).to.equal(2);
    clock.advance(0);
    expect(store.jobs).to.deep.equal(['analyze-study:1.5']);
    clock.advance(5_000);
    expect(store.jobs).to.deep.equal(['analyze-study:1.5', 'analyze-study:1.6']);
  });

  it('sweep completes a due study whose completion failed (database busy), and leaves studies not yet due', () => {
    const clock = new FakeClock();
    const store = new MemoryStudies();
    let failures = 1;
    const flaky: StudyStore = {
      receiving: () => store.receiving(),
      dueAt: (uid) => store.dueAt(uid),
      complete: (uid, now, kind) => {
        if (failures-- > 0) throw new Error('SQLITE_BUSY: database is locked');
        return store.complete(uid, now, kind);
      },
    };
    const a = new StudyAssembler(flaky, { jobKind: 'analyze-study', clock, log: silentLogger });
    a.instanceRecorded(store.record(clock, '1.7', 1_000));
    clock.advance(1_000); // the timer fires, completing throws: the study stays receiving, no timer left
    expect(store.jobs).to.deep.equal([]);
    a.instanceRecorded(store.record(clock, '1.8', 60_000));
    expect(a.sweep()).to.equal(1);
    expect(store.jobs).to.deep.equal(['analyze-study:1.7']);
    expect(store.rows.get('1.8')?.status).to.equal('receiving');
    expect(a.sweep()).to.equal(0);
  });
});
