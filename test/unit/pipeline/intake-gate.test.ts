import { expect } from 'chai';
import { IntakeGate } from '../../../src/pipeline/intake-gate.js';

/** Whether `p` has settled once pending timers of `ms` have had a chance to run (no elapsed-time assertion). */
async function settledAfter(p: Promise<unknown>, ms: number): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setTimeout(r, ms));
  return done;
}

describe('pipeline/IntakeGate', () => {
  it('lets background work go at once when nothing was received', async () => {
    const gate = new IntakeGate(50, () => 1000);
    expect(gate.isQuiet()).to.equal(true);
    expect(await settledAfter(gate.waitForQuiet(10_000), 0)).to.equal(true);
  });

  it('waits for intake to be quiet for quietMs after the last touch (injected clock)', async () => {
    let now = 1000;
    const gate = new IntakeGate(20, () => now);
    gate.touch();
    expect(gate.isQuiet()).to.equal(false);
    const p = gate.waitForQuiet(10_000);
    now = 1010;
    expect(await settledAfter(p, 60), 'within the quiet period').to.equal(false);
    now = 1020;
    expect(await settledAfter(p, 60), 'quiet for 20 ms').to.equal(true);
    expect(gate.isQuiet()).to.equal(true);
  });

  it('stops waiting at maxWaitMs although intake keeps arriving (injected clock)', async () => {
    let now = 1000;
    const gate = new IntakeGate(20, () => now);
    gate.touch();
    const p = gate.waitForQuiet(100);
    for (const t of [1015, 1030, 1045, 1060, 1075, 1090]) {
      now = t;
      gate.touch(); // never quiet
      expect(await settledAfter(p, 30), `at ${t}`).to.equal(false);
    }
    now = 1100;
    gate.touch();
    expect(await settledAfter(p, 60), 'deadline reached').to.equal(true);
  });
});
