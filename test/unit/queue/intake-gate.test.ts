import { expect } from 'chai';
import { IntakeGate } from '../../../src/queue/intake-gate.js';

/**
 * A clock for the gate that the test sets, and that says when the gate reads it: the gate decides at each read
 * whether to let `pause()` go, so after its next read (and the promise callbacks that follow) the test knows
 * whether `pause()` settled, without sleeping.
 */
class TestClock {
  t = 1000;
  private onRead: (() => void) | undefined;
  readonly now = (): number => {
    const notify = this.onRead;
    this.onRead = undefined;
    notify?.();
    return this.t;
  };

  /** Whether `p` has settled once the gate has read the clock again (or at once, if it already has). */
  async settledAtNextCheck(p: Promise<unknown>): Promise<boolean> {
    let done = false;
    const settled = p.then(() => (done = true));
    await Promise.race([settled, new Promise<void>((resolve) => (this.onRead = resolve))]);
    this.onRead = undefined;
    // The read decides synchronously; let the promise callbacks it queued run before looking.
    await new Promise((resolve) => setImmediate(resolve));
    return done;
  }
}

describe('pipeline/IntakeGate', () => {
  it('lets background work go at once when nothing was received', async () => {
    const clock = new TestClock();
    const gate = new IntakeGate(50, clock.now);
    expect(gate.isQuiet()).to.equal(true);
    expect(await clock.settledAtNextCheck(gate.waitForQuiet(10_000))).to.equal(true);
  });

  it('waits for intake to be quiet for quietMs after the last touch (injected clock)', async () => {
    const clock = new TestClock();
    const gate = new IntakeGate(20, clock.now);
    gate.touch();
    expect(gate.isQuiet()).to.equal(false);
    const p = gate.waitForQuiet(10_000);
    clock.t = 1010;
    expect(await clock.settledAtNextCheck(p), 'within the quiet period').to.equal(false);
    clock.t = 1020;
    expect(await clock.settledAtNextCheck(p), 'quiet for 20 ms').to.equal(true);
    expect(gate.isQuiet()).to.equal(true);
  });

  it('stops waiting at maxWaitMs although intake keeps arriving (injected clock)', async () => {
    const clock = new TestClock();
    const gate = new IntakeGate(20, clock.now);
    gate.touch();
    const p = gate.waitForQuiet(100);
    for (const t of [1015, 1030, 1045, 1060, 1075, 1090]) {
      clock.t = t;
      gate.touch(); // never quiet
      expect(await clock.settledAtNextCheck(p), `at ${t}`).to.equal(false);
    }
    clock.t = 1100;
    gate.touch();
    expect(await clock.settledAtNextCheck(p), 'deadline reached').to.equal(true);
  });
});
