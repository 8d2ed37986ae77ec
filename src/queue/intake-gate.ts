/**
 * Background work that gives way to intake. Receiving (C-STORE, HL7) answers peers that are waiting; the analysis
 * and the report NLP only make results later. While data arrives, background steps wait for a short pause in the
 * traffic, but never longer than a bound, so a peer that never stops sending cannot starve them.
 */
export class IntakeGate {
  private lastIntakeAt = Number.NEGATIVE_INFINITY;

  constructor(
    /** How long intake must have been quiet before background work goes on. */
    private readonly quietMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Something was just received. */
  touch(): void {
    this.lastIntakeAt = this.now();
  }

  /** Whether nothing was received for `quietMs`. */
  isQuiet(): boolean {
    return this.now() - this.lastIntakeAt >= this.quietMs;
  }

  /** Resolves once intake has been quiet for `quietMs`, or after `maxWaitMs`, whichever comes first. */
  async waitForQuiet(maxWaitMs: number): Promise<void> {
    const deadline = this.now() + maxWaitMs;
    for (;;) {
      const now = this.now();
      const quietFor = now - this.lastIntakeAt;
      if (quietFor >= this.quietMs || now >= deadline) return;
      await new Promise((r) => setTimeout(r, Math.min(this.quietMs - quietFor, deadline - now)));
    }
  }
}
