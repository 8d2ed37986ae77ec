/**
 * Progress of `send` on stderr when it is a terminal: one redrawn line. Otherwise `send` prints a plain line per
 * file instead (logs and pipes keep every line).
 */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export class ProgressBar {
  private done = 0;
  private failed = 0;
  private readonly enabled: boolean;

  constructor(
    private readonly stream: ProgressStream,
    private readonly total: number,
  ) {
    this.enabled = stream.isTTY === true && total > 0;
  }

  get active(): boolean {
    return this.enabled;
  }

  tick(ok: boolean): void {
    this.done += 1;
    if (!ok) this.failed += 1;
    this.draw();
  }

  /** Clears the bar so the summary starts on a clean line. */
  finish(): void {
    if (this.enabled) this.stream.write('\r\x1b[K');
  }

  /** The bar as text (without the carriage return), e.g. `[#########-----------]  12/40 files, 1 failed`. */
  render(): string {
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - 40));
    const filled = Math.round((this.done / Math.max(1, this.total)) * width);
    const failed = this.failed > 0 ? `, ${this.failed} failed` : '';
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(this.done).padStart(String(this.total).length)}/${this.total} files${failed}`;
  }

  private draw(): void {
    if (this.enabled) this.stream.write(`\r${this.render()}\x1b[K`);
  }
}
