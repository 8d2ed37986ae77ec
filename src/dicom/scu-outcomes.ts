/**
 * What an outbound association and each C-STORE in it can end as, and the mapping of wire codes (A-ASSOCIATE-RJ,
 * A-ABORT, presentation context results, DIMSE statuses) to those outcomes, with words and a retry decision.
 * Pure data and functions: testable without a socket.
 */
import { isSuccessOrWarning } from './dimse-command.js';

/** Who we talked to, carried by every failure so a log line or an outbox row needs nothing else. */
export interface ScuPeer {
  /** `host:port` */
  peer: string;
  callingAeTitle: string;
  calledAeTitle: string;
}

/** Phases a timer can expire in. */
export type ScuPhase = 'connect' | 'associate' | 'dimse' | 'release';

/** An association that could not be opened or ended early. `retryable` says whether a later try may succeed unaided. */
export type AssociationFailure = ScuPeer & { detail: string; retryable: boolean } & (
    | { kind: 'connection-failed'; errno?: string }
    | { kind: 'timeout'; phase: ScuPhase }
    | {
        kind: 'rejected';
        /** PS3.8 Table 9-21 raw values and their words. */
        result: number;
        source: number;
        reason: number;
        resultText: string;
        sourceText: string;
        reasonText: string;
      }
    | {
        kind: 'aborted';
        /** `peer`: A-ABORT or a closed connection from the peer; `us`: we aborted (e.g. a file we could not read). */
        by: 'peer' | 'us';
        /** PS3.8 Table 9-26 words when an A-ABORT PDU was received. */
        sourceText?: string;
        reasonText?: string;
      }
    | { kind: 'protocol-error' }
  );

export type AssociationFailureKind = AssociationFailure['kind'];

/** Why the peer refused a presentation context (PS3.8 Table 9-18, Result/Reason), or why we never proposed one. */
export type ContextRefusal =
  | 'user-rejection'
  | 'no-reason'
  | 'abstract-syntax-not-supported'
  | 'transfer-syntax-not-supported'
  /** More distinct (SOP class, transfer syntax) pairs than one association can carry (128). */
  | 'context-limit';

/** The outcome of one instance in a `storeFiles` call. */
export type InstanceOutcome =
  /** The peer answered Success (0000) or a warning (0001, 0107, 0116, Bxxx): the object is stored. */
  | { kind: 'stored'; status: number; statusText: string; errorComment?: string }
  /** The peer answered a failure status. */
  | { kind: 'failed'; status: number; statusText: string; errorComment?: string; retryable: boolean }
  /** The peer refused the presentation context this file needs; nothing was sent. */
  | { kind: 'not-negotiated'; reason: ContextRefusal; detail: string; retryable: boolean }
  /** The file is not a readable Part-10 file with a usable meta header; nothing was sent. */
  | { kind: 'invalid-file'; detail: string; retryable: false }
  /** The association failed before this instance got a response (it may or may not have been stored). */
  | { kind: 'association-failed'; failure: AssociationFailure; retryable: boolean };

/** What expired, in words, for a timeout's detail. */
export function timeoutText(phase: ScuPhase, ms: number): string {
  switch (phase) {
    case 'associate':
      return `no A-ASSOCIATE-AC or -RJ within ${ms} ms (ARTIM)`;
    case 'release':
      return `no A-RELEASE-RP within ${ms} ms`;
    case 'dimse':
      return `no DIMSE response within ${ms} ms`;
    default:
      return `TCP connect did not complete within ${ms} ms`;
  }
}

// ───────────── A-ASSOCIATE-RJ (PS3.8 Table 9-21) ─────────────

const REJECT_RESULT: Record<number, string> = { 1: 'rejected (permanent)', 2: 'rejected (transient)' };
const REJECT_SOURCE: Record<number, string> = {
  1: 'service user',
  2: 'service provider (ACSE)',
  3: 'service provider (presentation)',
};
const REJECT_REASON_BY_SOURCE: Record<number, Record<number, string>> = {
  1: { 1: 'no reason given', 2: 'application context name not supported', 3: 'calling AE title not recognized', 7: 'called AE title not recognized' },
  2: { 1: 'no reason given', 2: 'protocol version not supported' },
  3: { 1: 'temporary congestion', 2: 'local limit exceeded' },
};

/** Words for an A-ASSOCIATE-RJ; a transient rejection is worth retrying, a permanent one needs a configuration fix. */
export function describeReject(rj: { result: number; source: number; reason: number }): {
  resultText: string;
  sourceText: string;
  reasonText: string;
  retryable: boolean;
} {
  return {
    resultText: REJECT_RESULT[rj.result] ?? `unknown result ${rj.result}`,
    sourceText: REJECT_SOURCE[rj.source] ?? `unknown source ${rj.source}`,
    reasonText: REJECT_REASON_BY_SOURCE[rj.source]?.[rj.reason] ?? `reserved reason ${rj.reason}`,
    retryable: rj.result === 2,
  };
}

// ───────────── A-ABORT (PS3.8 Table 9-26) ─────────────

const ABORT_SOURCE: Record<number, string> = { 0: 'service user', 1: 'reserved', 2: 'service provider' };
const ABORT_REASON: Record<number, string> = {
  0: 'reason not specified',
  1: 'unrecognized PDU',
  2: 'unexpected PDU',
  4: 'unrecognized PDU parameter',
  5: 'unexpected PDU parameter',
  6: 'invalid PDU parameter value',
};

/** Words for an A-ABORT; the reason is only meaningful when the source is the service provider. */
export function describeAbort(abort: { source: number; reason: number }): { sourceText: string; reasonText: string } {
  return {
    sourceText: ABORT_SOURCE[abort.source] ?? `unknown source ${abort.source}`,
    reasonText: abort.source === 2 ? (ABORT_REASON[abort.reason] ?? `reserved reason ${abort.reason}`) : 'reason not specified',
  };
}

// ───────────── presentation context results (PS3.8 Table 9-18) ─────────────

/** Maps an A-ASSOCIATE-AC context result to a refusal, or undefined for acceptance (0). */
export function contextRefusal(result: number): ContextRefusal | undefined {
  switch (result) {
    case 0:
      return undefined;
    case 1:
      return 'user-rejection';
    case 3:
      return 'abstract-syntax-not-supported';
    case 4:
      return 'transfer-syntax-not-supported';
    default:
      return 'no-reason'; // 2 = provider rejection, no reason; anything else is reserved
  }
}

/**
 * Whether a refused context may be accepted next time. Abstract or transfer syntax not supported is the peer's
 * configuration: only a person fixes that. A user rejection without a reason may be transient (a busy PACS).
 */
export function isRefusalRetryable(reason: ContextRefusal): boolean {
  return reason === 'user-rejection' || reason === 'no-reason' || reason === 'context-limit';
}

// ───────────── DIMSE statuses (PS3.7 Annex C, PS3.4 Table B.2-1) ─────────────

const STATUS_TEXT: Record<number, string> = {
  0x0000: 'Success',
  0x0001: 'Warning: requested optional attributes are not supported',
  0x0107: 'Warning: attribute list error',
  0x0116: 'Warning: attribute value out of range',
  0xb000: 'Warning: coercion of data elements',
  0xb006: 'Warning: elements discarded',
  0xb007: 'Warning: data set does not match SOP class',
  0x0110: 'Failure: processing failure',
  0x0117: 'Failure: invalid object instance',
  0x0122: 'Refused: SOP class not supported',
  0x0124: 'Refused: not authorized',
  0x0210: 'Failure: duplicate invocation',
  0x0211: 'Failure: unrecognized operation',
  0x0212: 'Failure: mistyped argument',
  0x0213: 'Failure: resource limitation',
  0xfe00: 'Cancel',
};

/** Words for a DIMSE status, by exact code first and then by the PS3.4 B.2 family. */
export function statusText(status: number): string {
  const exact = STATUS_TEXT[status];
  if (exact !== undefined) return exact;
  const family = status & 0xff00;
  if (family === 0xa700) return 'Refused: out of resources';
  if (family === 0xa900) return 'Error: data set does not match SOP class';
  if ((status & 0xf000) === 0xc000) return 'Error: cannot understand';
  if ((status & 0xf000) === 0xb000) return 'Warning';
  return 'Failure (unknown status)';
}

/**
 * Whether a failure status may succeed on a later try without anyone changing the object or the peer.
 * A7xx (out of resources), 0213 (resource limitation), 0210 (duplicate invocation), 0110 (processing failure) and
 * Cancel are conditions of the moment; A9xx, Cxxx, 0122, 0124, 0117, 0211 and 0212 say the object or the
 * association is unacceptable as it is. Unknown codes retry: the outbox bounds the attempts anyway.
 */
export function isStatusRetryable(status: number): boolean {
  if ((status & 0xff00) === 0xa700) return true;
  if ((status & 0xff00) === 0xa900 || (status & 0xf000) === 0xc000) return false;
  switch (status) {
    case 0x0110:
    case 0x0210:
    case 0x0213:
    case 0xfe00:
      return true;
    case 0x0117:
    case 0x0122:
    case 0x0124:
    case 0x0211:
    case 0x0212:
      return false;
    default:
      return true;
  }
}

/** What a C-STORE-RSP can say: stored or failed. */
export type StatusOutcome = Extract<InstanceOutcome, { kind: 'stored' | 'failed' }>;

/** The outcome of a C-STORE-RSP. */
export function storeOutcome(status: number, errorComment: string | undefined): StatusOutcome {
  const comment = errorComment === undefined || errorComment === '' ? {} : { errorComment };
  // Success or a warning: the peer keeps the object (PS3.7 Annex C)
  if (isSuccessOrWarning(status)) return { kind: 'stored', status, statusText: statusText(status), ...comment };
  return { kind: 'failed', status, statusText: statusText(status), ...comment, retryable: isStatusRetryable(status) };
}

/** `0xA700`-style hex for messages. */
export function hexStatus(status: number): string {
  return `0x${status.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** One line naming what failed, with whom, and why: for logs and an outbox row's last error. */
export function describeFailure(failure: AssociationFailure): string {
  const who = `${failure.callingAeTitle} → ${failure.calledAeTitle}@${failure.peer}`;
  return `${who}: ${failure.kind}: ${failure.detail}`;
}

/** One line for an instance outcome (file named by the caller). */
export function describeOutcome(outcome: InstanceOutcome): string {
  switch (outcome.kind) {
    case 'stored':
    case 'failed':
      return `${hexStatus(outcome.status)} ${outcome.statusText}${outcome.errorComment === undefined ? '' : ` (${outcome.errorComment})`}`;
    case 'not-negotiated':
    case 'invalid-file':
      return outcome.detail;
    case 'association-failed':
      return describeFailure(outcome.failure);
  }
}
