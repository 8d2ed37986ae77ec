/**
 * The seam between the SCP and whoever keeps the data: the SCP streams dataset bytes into a StoreSink and
 * answers the C-STORE with the status derived from the sink's outcome. The SCP knows nothing of disks or databases.
 */
import type { Uid } from './uids.js';

/** What the SCP knows about one incoming C-STORE when its dataset starts. */
export interface StoreRequest {
  associationId: string;
  callingAeTitle: string;
  calledAeTitle: string;
  peerAddress: string;
  sopClassUid: Uid;
  sopInstanceUid: Uid;
  transferSyntaxUid: string;
  messageId: number;
}

/** Expected outcomes of a store; mapped to a DIMSE status in one place (`storeStatus`). */
export type StoreOutcome =
  /** `subject`: the study and patient the stored dataset names (for the audit trail), when the handler read them. */
  | { kind: 'stored'; subject?: StoredSubject }
  | { kind: 'duplicate' }
  /** `code` names our error (docs/errors.md) when the failure is ours rather than the peer's. */
  | { kind: 'failed'; status: number; reason: string; code?: string };

/** What a stored dataset identifies itself as: its study, accession and Patient ID (never logged). */
export interface StoredSubject {
  studyInstanceUid: string;
  accessionNumber: string;
  patientId: string;
}

export interface StoreSink {
  /** Writes dataset bytes. Returns false when the caller should wait for `waitDrain()` before writing more. */
  write(chunk: Buffer): boolean;
  waitDrain(): Promise<void>;
  /** The last byte arrived: make it durable and report. Never rejects. */
  finish(): Promise<StoreOutcome>;
  /** The association died mid-dataset: discard whatever was written. Never throws. */
  abort(): void;
}

export interface StoreHandler {
  begin(request: StoreRequest): StoreSink;
}

/** A sink that swallows a dataset we will refuse anyway (so the association stays in step). */
export function discardingSink(outcome: StoreOutcome): StoreSink {
  return {
    write: () => true,
    waitDrain: () => Promise.resolve(),
    finish: () => Promise.resolve(outcome),
    abort: () => {},
  };
}
