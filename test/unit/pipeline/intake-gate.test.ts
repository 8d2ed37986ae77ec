import { expect } from 'chai';
import { IntakeGate } from '../../../src/pipeline/intake-gate.js';

describe('pipeline/IntakeGate', () => {
  it('lets background work go at once when nothing was received', async () => {
    const gate = new IntakeGate(50);
    const t0 = performance.now();
    await gate.pause(1000);
    expect(performance.now() - t0).to.be.below(40);
  });

  it('waits for intake to be quiet for quietMs after the last touch', async () => {
    let now = 1000;
    const gate = new IntakeGate(50, () => now);
    gate.touch();
    let done = false;
    const p = gate.pause(10_000).then(() => (done = true));
    now = 1030;
    await new Promise((r) => setTimeout(r, 60));
    expect(done, 'still within the quiet period on the injected clock').to.equal(false);
    now = 1050;
    await new Promise((r) => setTimeout(r, 60));
    await p;
    expect(done).to.equal(true);
  });

  it('never waits longer than maxWaitMs while intake keeps arriving', async () => {
    const gate = new IntakeGate(50);
    const keepBusy = setInterval(() => gate.touch(), 5);
    try {
      gate.touch();
      const t0 = performance.now();
      await gate.pause(120);
      const waited = performance.now() - t0;
      expect(waited).to.be.at.least(110);
      expect(waited).to.be.below(400);
    } finally {
      clearInterval(keepBusy);
    }
  });
});
