/**
 * Group commit on PostgreSQL: callers submit one item each; one batch is written at a time, and what arrives while it
 * is written goes together in the next one (one round trip, one WAL flush for all). Each caller's promise settles
 * only after its batch's write resolved, so an acknowledgement never names an uncommitted row. A batch that fails
 * because of one of its rows (`isRowFailure`) is written again one item at a time, so one bad row fails only
 * itself; any other failure (the server away) fails the whole batch at once, instead of making every caller wait
 * one connect timeout after another.
 */
import { GatewayError } from '../../errors.js';

interface Waiting<TIn, TOut> {
  item: TIn;
  resolve: (out: TOut) => void;
  reject: (err: unknown) => void;
}

/**
 * Whether a failure came from a row, worth retrying item by item: SQLSTATE class 22 (data exception), 23
 * (integrity constraint violation) or 40 (transaction rollback: a deadlock or serialization failure, which a
 * smaller transaction may not meet). PostgreSQL docs, Appendix A "PostgreSQL Error Codes".
 */
export function isRowFailure(err: unknown): boolean {
  const state = err instanceof GatewayError ? err.context.sqlState : undefined;
  return typeof state === 'string' && ['22', '23', '40'].includes(state.slice(0, 2));
}

export class GroupCommit<TIn, TOut> {
  private pending: Array<Waiting<TIn, TOut>> = [];
  private writing = false;

  constructor(
    private readonly o: {
      /** Writes the batch (in this order) and answers one result per item, in the same order. */
      write: (batch: readonly TIn[]) => Promise<TOut[]>;
      /** The order items are written in, when it matters (the same order on every node, against deadlocks). */
      order?: (a: TIn, b: TIn) => number;
    },
  ) {}

  submit(item: TIn): Promise<TOut> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      // The next turn of the loop, so the items of a burst (several connections) share the first write too.
      if (!this.writing && this.pending.length === 1) setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        await this.commit(this.ordered(batch));
        // One turn of the loop first: the callers just answered submit their next items now, and they go together.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.writing = false;
    }
  }

  /** The batch in the write order; arrival order among equal items (Array.prototype.sort is stable). */
  private ordered(batch: Array<Waiting<TIn, TOut>>): Array<Waiting<TIn, TOut>> {
    const order = this.o.order;
    return order === undefined ? batch : [...batch].sort((a, b) => order(a.item, b.item));
  }

  private async commit(batch: Array<Waiting<TIn, TOut>>): Promise<void> {
    try {
      const out = await this.o.write(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(out[i] as TOut));
      return;
    } catch (err) {
      if (batch.length === 1 || !isRowFailure(err)) {
        for (const w of batch) w.reject(err);
        return;
      }
    }
    for (const w of batch) {
      try {
        const [out] = await this.o.write([w.item]);
        w.resolve(out as TOut);
      } catch (err) {
        w.reject(err);
      }
    }
  }
}
