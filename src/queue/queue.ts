/**
 * The durable queue seam: analysis jobs, report processing and outbox deliveries all go through it. Items are
 * claimed with a lease (owner + expiry), so a second node (PostgreSQL, `FOR UPDATE SKIP LOCKED`) can take over
 * the items of a node that died once their lease runs out; the embedded SQLite adapter is the same contract on
 * one node. Every method is async so an engine with a network round trip fits behind it.
 */

/** What every queued item carries, whatever its payload. */
export interface QueueItem {
  id: number;
  /** Where the item is claimed from: a job kind, an outbox destination. Workers are per partition. */
  partition: string;
  /** Attempts so far, counting the one in hand once claimed. */
  attempts: number;
  createdAtMs: number;
}

export interface ClaimRequest {
  partition: string;
  /** Who holds the lease: stable per node (a restarted node recognises its own leases), unique across nodes. */
  owner: string;
  /** How long the lease lasts unless extended; an expired lease may be taken over by any claimer. */
  leaseMs: number;
  limit: number;
  nowMs: number;
  /**
   * Strict order: only the oldest unfinished item of the partition may be claimed, and only when it is due (an
   * HL7 receiver must see results in the order they were made). The head blocks until done or dead.
   */
  inOrder?: boolean;
}

export interface Failure {
  error: string;
  /** When to try again; undefined makes it a dead letter now. */
  retryAtMs: number | undefined;
}

/**
 * How a failure was recorded: `retrying` at its time, `dead` (given up, visible to operators, resendable),
 * `superseded` (a newer item does the same work, so this one is given up) or `lease-lost` (another owner took
 * the item over after our lease expired: its outcome is theirs to record).
 */
export type FailResult = 'retrying' | 'dead' | 'superseded' | 'lease-lost';

export interface Enqueued {
  id: number;
  /** False when an item with the same identity (dedupe key, one queued job per study) was already there. */
  created: boolean;
}

/**
 * A durable queue of `TItem`, added to as `TNew`. Methods taking `owner` act only while that owner holds the
 * lease, so a late outcome from a node that lost its lease cannot overwrite its successor's.
 */
export interface Queue<TItem extends QueueItem, TNew> {
  /**
   * Set when other processes (the other nodes of a cluster) add items this process is not told about: an idle
   * worker looks again at least this often. Unset on an engine only this process writes (SQLite).
   */
  readonly idlePollMs?: number;
  enqueue(item: TNew, nowMs: number): Promise<Enqueued>;
  /** Marks up to `limit` due items (or items with an expired lease) as claimed by `owner`; oldest first. */
  claim(request: ClaimRequest): Promise<TItem[]>;
  /** The item is done; `note` is kept (a peer's warning). False when the lease was lost. */
  complete(id: number, owner: string, nowMs: number, note?: string): Promise<boolean>;
  fail(id: number, owner: string, failure: Failure, nowMs: number): Promise<FailResult>;
  /** Heartbeat: the lease now runs until `untilMs`. False when it was lost. */
  extendLease(id: number, owner: string, untilMs: number): Promise<boolean>;
  /** Hands a claimed item back unworked (a stop before its turn): due now, the claim's attempt not counted. */
  release(id: number, owner: string, nowMs: number): Promise<boolean>;
  /** At start: this owner's leases in a partition belong to a process that is gone; its items are due now. */
  releaseOwned(partition: string, owner: string, nowMs: number): Promise<number>;
  /** Operator resend of a dead (or waiting) item: due now with a fresh attempt budget. Its partition, or undefined. */
  resend(id: number, nowMs: number): Promise<{ partition: string } | undefined>;
  /** When the worker of a partition should look again: the earliest due item or lease expiry. */
  nextDueMs(partition: string, options?: { inOrder?: boolean }): Promise<number | undefined>;
}

/**
 * Adding an item inside a transaction the caller holds open, so the item commits (or rolls back) with the
 * caller's own rows. `TTx` is the engine's handle on that transaction and `TResult` its way of answering:
 * better-sqlite3 transactions are synchronous, so its adapter answers `Enqueued` at once; a pg adapter would take a
 * client after BEGIN and answer `Promise<Enqueued>`.
 */
export interface TransactionalEnqueue<TNew, TTx, TResult> {
  enqueueIn(tx: TTx, item: TNew, nowMs: number): TResult;
}

/** Scheduled upkeep of a queue (housekeeping). */
export interface QueueMaintenance {
  /** Waiting items created before `createdBeforeMs` become dead letters with `reason`; claimed ones are left to their attempt. */
  deadLetterOlderThan(createdBeforeMs: number, reason: string, nowMs: number): Promise<number>;
  /** Deletes items done before `doneBeforeMs`. */
  deleteDoneBefore(doneBeforeMs: number): Promise<number>;
}
