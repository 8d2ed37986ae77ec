/**
 * The free-space watermark of dataDir: below storage.minFreeBytes the SCP refuses new associations (with this
 * reason) and /readyz reports it. Checked on a schedule; the state change is logged once each way.
 */
import type { Logger } from '../log.js';

export class DiskWatermark {
  private low: string | undefined;

  constructor(
    /** Bytes free where the spool writes (`Spool.freeBytes`). */
    private readonly free: () => Promise<number>,
    private readonly minFreeBytes: number,
    private readonly log: Logger,
  ) {}

  /** Why new work is refused, or undefined when there is room. */
  get refusal(): string | undefined {
    return this.low;
  }

  /** Reads free space and updates the state. A failed read keeps the previous state (and is logged). */
  async check(): Promise<Record<string, unknown> | undefined> {
    let bytes: number;
    try {
      bytes = await this.free();
    } catch (err) {
      this.log.error('cannot read free disk space', { err: (err as Error).message });
      return undefined;
    }
    const wasLow = this.low !== undefined;
    this.low = bytes < this.minFreeBytes ? `free disk space ${bytes} bytes is below storage.minFreeBytes (${this.minFreeBytes})` : undefined;
    if (this.low !== undefined && !wasLow) this.log.error('disk below watermark: refusing new associations', { freeBytes: bytes, minFreeBytes: this.minFreeBytes });
    if (this.low === undefined && wasLow) this.log.info('disk above watermark again: accepting associations', { freeBytes: bytes });
    return undefined;
  }
}
