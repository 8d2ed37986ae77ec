/**
 * One accepted TCP connection of the SCP: the upper-layer state machine (PS3.8 §9.2), C-ECHO and streaming
 * C-STORE. PDUs are processed one at a time; the socket is paused while work is pending, so memory per
 * association stays bounded by a few PDUs whatever the peer sends.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { GatewayError, describeError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { normalizeAddress } from '../net/index.js';
import { type AdmissionState, type AssociationPolicy, type RejectReasonName, contextRefusals, rejectReasonName } from './association-policy.js';
import { DimseAssembler, MAX_COMMAND_BYTES, type AssemblyFault } from './dimse-assembler.js';
import { CommandField, NO_DATASET, Status, encodeCommand, responseFor, type DimseCommand } from './dimse-command.js';
import {
  AbortReason,
  AbortSource,
  PduType,
  PresentationResult,
  decodeAbortLenient,
  decodeAssociateRq,
  encodeAbort,
  encodeAssociateAc,
  encodeAssociateRj,
  encodePData,
  encodeReleaseRp,
  type ContextDecision,
  type ProposedContext,
} from './pdu.js';
import { PduReader, type RawPdu } from './pdu-reader.js';
import { discardingSink, type StoreHandler, type StoreOutcome, type StoreSink } from './store-handler.js';
import { parseUid } from './uids.js';
import { tlsPeerIdentity, type TlsPeerIdentity } from '../tls/index.js';

export interface ScpTimeouts {
  artimTimeoutMs: number;
  idleTimeoutMs: number;
  pduTimeoutMs: number;
  associationMaxMs: number;
  /** While a DIMSE message is arriving, bytes per second the peer must keep up over each pduTimeoutMs; 0: off. */
  minDataRateBytesPerSec: number;
}

export interface AssociationDeps {
  aeTitle: string;
  maxPduBytes: number;
  timeouts: ScpTimeouts;
  policy: AssociationPolicy;
  handler: StoreHandler;
  admission: () => AdmissionState;
  log: Logger;
  onEvent?: (event: ScpEvent) => void;
}

/**
 * What the SCP reports as it works (for metrics). Listeners run inside socket callbacks: one that throws is
 * logged and ignored.
 */
export type ScpEvent =
  | { type: 'association-accepted'; associationId: string; callingAeTitle: string; calledAeTitle: string; peerAddress: string }
  | { type: 'association-rejected'; associationId: string; reason: RejectReasonName; detail: string; callingAeTitle: string; calledAeTitle: string; peerAddress: string }
  /** Closed at accept, before any PDU (address not allowed, too many connections from it): raised by the server. */
  | { type: 'connection-refused'; peerAddress: string; reason: string }
  /** A C-STORE-RSP was sent; `status` is its DIMSE status, `datasetBytes` what the dataset carried. */
  | { type: 'store-answered'; associationId: string; status: number; datasetBytes: number };

export type AssociationOutcome = 'released' | 'rejected' | 'aborted-by-peer' | 'aborted' | 'closed-by-peer' | 'timed-out';

/** What the association did, logged once when it ends and handed to the server for metrics. */
export interface AssociationSummary {
  associationId: string;
  peerAddress: string;
  /** `tls` when the association came in on the TLS listener. */
  transport: 'tcp' | 'tls';
  callingAeTitle: string;
  calledAeTitle: string;
  outcome: AssociationOutcome;
  reason?: string;
  instancesStored: number;
  instancesFailed: number;
  datasetBytes: number;
  durationMs: number;
}

type State = 'awaiting-rq' | 'established' | 'releasing' | 'closed';

interface PendingStore {
  contextId: number;
  command: DimseCommand;
  sink: StoreSink;
  datasetBytes: number;
}

/** Bound on queued PDUs before the socket is paused. */
const MAX_QUEUED_PDUS = 4;
/** Bound on the A-ASSOCIATE-RQ, read before any limit is announced: generous (hundreds of contexts) but bounded. */
export const MAX_CONTROL_PDU_BYTES = 128 * 1024;

export class ScpAssociation {
  readonly id = randomBytes(4).toString('hex');
  private state: State = 'awaiting-rq';
  private readonly reader: PduReader;
  private readonly queue: RawPdu[] = [];
  private processing = false;
  private readonly startedAt = Date.now();
  private readonly peerAddress: string;
  /** The peer's certificate when the connection is TLS (undefined for plain TCP). */
  private readonly tlsPeer: TlsPeerIdentity | undefined;
  private callingAeTitle = '';
  private calledAeTitle = '';
  private peerMaxPdu = 0;
  private accepted = new Map<number, { abstractSyntax: string; transferSyntax: string }>();
  private readonly assembler = new DimseAssembler({
    maxCommandBytes: MAX_COMMAND_BYTES,
    isKnownContext: (id) => this.accepted.has(id),
    commandDuringDataset: 'fault',
  });
  private pending: PendingStore | undefined;
  private stats = { instancesStored: 0, instancesFailed: 0, datasetBytes: 0 };
  private outcome: AssociationOutcome = 'closed-by-peer';
  private outcomeReason: string | undefined;
  private artimTimer: NodeJS.Timeout | undefined;
  private pduTimer: NodeJS.Timeout | undefined;
  private lifetimeTimer: NodeJS.Timeout | undefined;
  /** The data-rate window: bytes received since it opened, and whether we stopped reading during it. */
  private rateTimer: NodeJS.Timeout | undefined;
  private windowBytes = 0;
  private windowExcused = false;
  private readonly log: Logger;
  private readonly closedPromise: Promise<AssociationSummary>;
  private resolveClosed!: (s: AssociationSummary) => void;

  constructor(
    private readonly socket: Socket,
    private readonly deps: AssociationDeps,
  ) {
    this.peerAddress = normalizeAddress(socket.remoteAddress ?? '');
    this.log = deps.log.child({ assoc: this.id });
    this.tlsPeer = socket instanceof TLSSocket ? tlsPeerIdentity(socket) : undefined;
    if (this.tlsPeer !== undefined) {
      const { subject, authorized, authorizationError, protocol } = this.tlsPeer;
      this.log.debug('TLS peer', { peer: this.peerAddress, subject: subject === '' ? '(no certificate)' : subject, authorized, authorizationError, protocol });
    }
    this.reader = new PduReader(MAX_CONTROL_PDU_BYTES);
    this.closedPromise = new Promise((resolve) => (this.resolveClosed = resolve));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.log.debug('socket error', { err: err.message }));
    socket.on('close', () => this.onClose());
    socket.setTimeout(deps.timeouts.idleTimeoutMs, () => this.fail('timed-out', `no data from the peer for ${deps.timeouts.idleTimeoutMs} ms`));
    this.artimTimer = setTimeout(
      () => this.fail('timed-out', `ARTIM expired: no complete A-ASSOCIATE-RQ within ${deps.timeouts.artimTimeoutMs} ms`),
      deps.timeouts.artimTimeoutMs,
    );
    this.lifetimeTimer = setTimeout(
      () => this.fail('timed-out', `association open longer than ${deps.timeouts.associationMaxMs} ms`),
      deps.timeouts.associationMaxMs,
    );
  }

  /** Resolves when the socket has closed, with what happened. */
  get closed(): Promise<AssociationSummary> {
    return this.closedPromise;
  }

  /** A method, not a narrowed field read: the state changes across awaits. */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  get isEstablished(): boolean {
    return this.state === 'established';
  }

  /** Shutdown: abort now (the peer may retry what was not confirmed). */
  abort(reason: string): void {
    this.fail('aborted', reason);
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    let pdus: RawPdu[];
    this.windowBytes += chunk.length;
    try {
      pdus = this.reader.push(chunk);
    } catch (err) {
      const tooLarge = err instanceof GatewayError && err.code === 'GW_ERR_PDU_TOO_LARGE';
      this.fail('aborted', describeError(err), tooLarge ? AbortReason.InvalidPduParameterValue : AbortReason.UnrecognizedPdu, tooLarge ? 'GW_ERR_PDU_TOO_LARGE' : 'GW_ERR_PDU_MALFORMED');
      return;
    }
    this.armPduTimer();
    this.armRateTimer();
    if (pdus.length > 0) {
      this.queue.push(...pdus);
      if (this.queue.length >= MAX_QUEUED_PDUS) {
        this.socket.pause();
        this.windowExcused = true;
      }
      void this.drainQueue();
    }
  }

  /** Whether a DIMSE message has started and not fully arrived: its command, or the dataset it announced. */
  private messageArriving(): boolean {
    return this.state === 'established' && (this.assembler.commandPending || this.assembler.datasetDue);
  }

  /**
   * The PDU deadline bounds one PDU; this bounds a message sent as many small whole PDUs (each completes, so
   * neither the PDU deadline nor the idle timer fires, and two bytes every few seconds would hold a slot for the
   * whole association lifetime). A window in which we stopped reading (back-pressure) does not count.
   */
  private armRateTimer(): void {
    const rate = this.deps.timeouts.minDataRateBytesPerSec;
    if (rate === 0 || this.rateTimer !== undefined || !this.messageArriving()) return;
    this.windowBytes = 0;
    this.windowExcused = false;
    this.rateTimer = setTimeout(() => this.checkRate(), this.deps.timeouts.pduTimeoutMs);
  }

  private checkRate(): void {
    this.rateTimer = undefined;
    if (!this.messageArriving()) return;
    const { minDataRateBytesPerSec: rate, pduTimeoutMs: windowMs } = this.deps.timeouts;
    const needed = Math.ceil((rate * windowMs) / 1000);
    if (this.windowBytes < needed && !this.windowExcused && !this.processing && !this.socket.isPaused()) {
      this.fail('timed-out', `the peer sent ${this.windowBytes} bytes in ${windowMs} ms while a message was arriving, below dicom.minDataRateBytesPerSec = ${rate}`);
      return;
    }
    this.armRateTimer();
  }

  private armPduTimer(): void {
    if (this.reader.midPdu) {
      this.pduTimer ??= setTimeout(
        () => this.fail('timed-out', `a PDU did not arrive completely within ${this.deps.timeouts.pduTimeoutMs} ms`),
        this.deps.timeouts.pduTimeoutMs,
      );
    } else if (this.pduTimer !== undefined) {
      clearTimeout(this.pduTimer);
      this.pduTimer = undefined;
    }
  }

  private async drainQueue(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0 && this.state !== 'closed') {
        const pdu = this.queue.shift() as RawPdu;
        await this.handlePdu(pdu);
        if (this.queue.length < MAX_QUEUED_PDUS && this.socket.isPaused() && !this.isClosed()) this.socket.resume();
      }
    } catch (err) {
      // Only our own bugs land here: peer faults are handled where they are detected.
      this.log.error('association handler failed', { err: describeError(err) });
      this.fail('aborted', `internal error: ${describeError(err)}`, AbortReason.NotSpecified, 'GW_ERR_INTERNAL');
    } finally {
      this.processing = false;
    }
  }

  private async handlePdu(pdu: RawPdu): Promise<void> {
    if (this.state === 'awaiting-rq') {
      if (pdu.type !== PduType.AssociateRq) {
        this.fail('aborted', `PDU type 0x${pdu.type.toString(16)} before A-ASSOCIATE-RQ`, AbortReason.UnexpectedPdu);
        return;
      }
      this.onAssociateRq(pdu.body);
      return;
    }
    switch (pdu.type) {
      case PduType.PData:
        if (this.state !== 'established') {
          this.fail('aborted', 'P-DATA-TF after A-RELEASE', AbortReason.UnexpectedPdu);
          return;
        }
        await this.onPData(pdu.body);
        return;
      case PduType.ReleaseRq:
        if (this.pending !== undefined) {
          this.fail('aborted', 'A-RELEASE-RQ in the middle of a C-STORE dataset', AbortReason.UnexpectedPdu);
          return;
        }
        this.state = 'releasing';
        this.outcome = 'released';
        this.socket.end(encodeReleaseRp());
        this.startArtim('peer did not close after A-RELEASE-RP');
        return;
      case PduType.Abort: {
        const { source, reason } = decodeAbortLenient(pdu.body);
        this.outcome = 'aborted-by-peer';
        this.outcomeReason = `A-ABORT source ${source} reason ${reason}`;
        this.socket.destroy();
        return;
      }
      default:
        this.fail('aborted', `unexpected PDU type 0x${pdu.type.toString(16)} on an established association`, AbortReason.UnexpectedPdu);
    }
  }

  private onAssociateRq(body: Buffer): void {
    this.clearArtim();
    let rq;
    try {
      rq = decodeAssociateRq(body);
    } catch (err) {
      this.fail('aborted', describeError(err), AbortReason.InvalidPduParameterValue);
      return;
    }
    this.callingAeTitle = rq.callingAeTitle;
    this.calledAeTitle = rq.calledAeTitle;
    const decision = this.deps.policy.decide(rq, this.peerAddress, this.deps.admission(), this.tlsPeer);
    if (decision.kind === 'reject') {
      this.outcome = 'rejected';
      this.outcomeReason = decision.reason;
      this.emit({ type: 'association-rejected', associationId: this.id, reason: rejectReasonName(decision.rj), detail: decision.reason, callingAeTitle: rq.callingAeTitle, calledAeTitle: rq.calledAeTitle, peerAddress: this.peerAddress });
      this.log.warn('association rejected', {
        peer: this.peerAddress,
        callingAe: rq.callingAeTitle,
        calledAe: rq.calledAeTitle,
        reason: decision.reason,
      });
      this.state = 'releasing';
      this.socket.end(encodeAssociateRj(decision.rj));
      this.startArtim('peer did not close after A-ASSOCIATE-RJ');
      return;
    }
    this.peerMaxPdu = rq.maxPduLength;
    for (const c of decision.contexts) {
      const proposed = rq.contexts.find((p) => p.id === c.id) as ProposedContext;
      if (c.result === PresentationResult.Acceptance) {
        this.accepted.set(c.id, { abstractSyntax: proposed.abstractSyntax, transferSyntax: c.transferSyntax });
      }
    }
    this.state = 'established';
    // PS3.8 D.1.1: the maximum length we announce bounds the variable field of each P-DATA-TF PDU, and after the
    // A-ASSOCIATE-AC only P-DATA, A-RELEASE and A-ABORT may come, so the announced number is the limit, also below
    // MAX_CONTROL_PDU_BYTES.
    this.reader.setLimit(this.deps.maxPduBytes);
    this.socket.write(
      encodeAssociateAc({
        calledAeTitle: rq.calledAeTitle,
        callingAeTitle: rq.callingAeTitle,
        contexts: decision.contexts,
        maxPduLength: this.deps.maxPduBytes,
        // We are the storage SCP: accept the SCU role the peer proposed, never take the SCU role ourselves.
        roles: rq.roles.map((r) => ({ sopClassUid: r.sopClassUid, scuRole: r.scuRole, scpRole: 0 })),
      }),
    );
    this.emit({ type: 'association-accepted', associationId: this.id, callingAeTitle: rq.callingAeTitle, calledAeTitle: rq.calledAeTitle, peerAddress: this.peerAddress });
    this.log.debug('association accepted', {
      peer: this.peerAddress,
      callingAe: rq.callingAeTitle,
      contexts: decision.contexts.map((c: ContextDecision) => `${c.id}:${c.result}`).join(' '),
    });
    // Info, not warn: proposing classes the SCP does not take is normal (storescu proposes a long list), but the
    // administrator of a modality whose objects never arrive needs to see which class was refused.
    const refusals = contextRefusals(rq.contexts, decision.contexts);
    if (refusals !== undefined) this.log.info('presentation contexts refused', { peer: this.peerAddress, callingAe: rq.callingAeTitle, ...refusals });
  }

  private async onPData(body: Buffer): Promise<void> {
    for (const step of this.assembler.read(body)) {
      if (this.state !== 'established') return;
      if (step.kind === 'fault') {
        this.failAssembly(step.fault);
        return;
      }
      if (step.kind === 'command') {
        this.onCommand(step.contextId, step.command);
        continue;
      }
      // The assembler hands on dataset fragments only while one is due, which is while `pending` is set.
      const pending = this.pending as PendingStore;
      this.stats.datasetBytes += step.data.length;
      pending.datasetBytes += step.data.length;
      if (!pending.sink.write(step.data)) await pending.sink.waitDrain();
      if (step.isLast) {
        this.pending = undefined;
        const outcome = await pending.sink.finish();
        this.sendStoreResponse(pending, outcome);
      }
    }
  }

  /** Aborts for a P-DATA fault, in the SCP's words. */
  private failAssembly(fault: AssemblyFault): void {
    switch (fault.kind) {
      case 'malformed-pdata':
        return this.fail('aborted', fault.detail, AbortReason.InvalidPduParameterValue);
      case 'unknown-context':
        return this.fail('aborted', `PDV on presentation context ${fault.contextId}, which was not accepted`, AbortReason.InvalidPduParameterValue);
      case 'command-during-dataset':
        return this.fail('aborted', 'command PDV while a C-STORE dataset was still arriving', AbortReason.UnexpectedPduParameter);
      case 'command-too-large':
        return this.fail('aborted', `DIMSE command larger than ${fault.maxBytes} bytes`, AbortReason.InvalidPduParameterValue);
      case 'malformed-command':
        return this.fail('aborted', fault.detail, AbortReason.InvalidPduParameterValue, 'GW_ERR_DIMSE_MALFORMED');
      case 'dataset-without-command':
        return this.fail('aborted', 'dataset PDV without a C-STORE command on its context', AbortReason.UnexpectedPduParameter);
    }
  }

  private onCommand(contextId: number, cmd: DimseCommand): void {
    const context = this.accepted.get(contextId) as { abstractSyntax: string; transferSyntax: string };
    switch (cmd.commandField) {
      case CommandField.CEchoRq: {
        const rsp = responseFor(cmd, CommandField.CEchoRsp);
        rsp.status = Status.Success;
        this.sendCommand(contextId, rsp);
        return;
      }
      case CommandField.CStoreRq:
        this.beginStore(contextId, context, cmd);
        return;
      case CommandField.CCancelRq:
        return; // nothing to cancel: C-STORE has no pending responses
      default: {
        const rsp = responseFor(cmd, cmd.commandField | 0x8000);
        rsp.status = Status.UnrecognizedOperation;
        rsp.errorComment = `command 0x${cmd.commandField.toString(16)} not supported`;
        this.sendCommand(contextId, rsp);
        if (cmd.dataSetType !== NO_DATASET) {
          this.expectDataset({ contextId, command: cmd, datasetBytes: 0, sink: discardingSink({ kind: 'failed', status: Status.UnrecognizedOperation, reason: 'unsupported command' }) });
        }
      }
    }
  }

  /** The command's dataset comes next: its fragments go to `pending.sink`. */
  private expectDataset(pending: PendingStore): void {
    this.pending = pending;
    this.assembler.expectDataset(pending.contextId);
  }

  private beginStore(contextId: number, context: { abstractSyntax: string; transferSyntax: string }, cmd: DimseCommand): void {
    const sopClassUid = parseUid(cmd.affectedSopClassUid);
    const sopInstanceUid = parseUid(cmd.affectedSopInstanceUid);
    const refuse = (status: number, reason: string): StoreSink => discardingSink({ kind: 'failed', status, reason });
    let sink: StoreSink;
    if (cmd.dataSetType === NO_DATASET) {
      const rsp = responseFor(cmd, CommandField.CStoreRsp);
      rsp.errorComment = 'C-STORE-RQ without a dataset';
      this.stats.instancesFailed += 1;
      this.sendCommand(contextId, rsp);
      this.emit({ type: 'store-answered', associationId: this.id, status: rsp.status ?? Status.CannotUnderstand, datasetBytes: 0 });
      return;
    }
    if (sopClassUid === undefined || sopInstanceUid === undefined || cmd.messageId === undefined) {
      sink = refuse(Status.CannotUnderstand, 'C-STORE-RQ lacks a valid Affected SOP Class/Instance UID or Message ID');
    } else if (sopClassUid !== context.abstractSyntax) {
      sink = refuse(Status.DataSetDoesNotMatchSopClass, `SOP class ${sopClassUid} sent on a context negotiated for ${context.abstractSyntax}`);
    } else {
      sink = this.deps.handler.begin({
        associationId: this.id,
        callingAeTitle: this.callingAeTitle,
        calledAeTitle: this.calledAeTitle,
        peerAddress: this.peerAddress,
        sopClassUid,
        sopInstanceUid,
        transferSyntaxUid: context.transferSyntax,
        messageId: cmd.messageId,
      });
    }
    this.expectDataset({ contextId, command: cmd, sink, datasetBytes: 0 });
  }

  private sendStoreResponse(pending: PendingStore, outcome: StoreOutcome): void {
    const rsp = responseFor(pending.command, CommandField.CStoreRsp);
    if (outcome.kind === 'failed') {
      rsp.status = outcome.status;
      rsp.errorComment = outcome.reason;
      this.stats.instancesFailed += 1;
      // Out of resources is our fault (error); anything else is the peer's data (warn).
      const level = (outcome.status & 0xff00) === 0xa700 ? 'error' : 'warn';
      this.log[level]('C-STORE failed', { code: outcome.code, peer: this.peerAddress, callingAe: this.callingAeTitle, status: `0x${outcome.status.toString(16)}`, reason: outcome.reason });
    } else {
      rsp.status = Status.Success;
      this.stats.instancesStored += 1;
    }
    this.sendCommand(pending.contextId, rsp);
    this.emit({ type: 'store-answered', associationId: this.id, status: rsp.status ?? Status.CannotUnderstand, datasetBytes: pending.datasetBytes });
  }

  private emit(event: ScpEvent): void {
    try {
      this.deps.onEvent?.(event);
    } catch (err) {
      this.log.error('SCP event listener failed', { event: event.type, err: describeError(err) });
    }
  }

  private sendCommand(contextId: number, cmd: DimseCommand): void {
    if (this.state === 'closed' || this.socket.destroyed) return;
    const pdus = encodePData(contextId, true, encodeCommand(cmd), this.peerMaxPdu);
    for (const p of pdus) this.socket.write(p);
  }

  private startArtim(reason: string): void {
    this.clearArtim();
    this.artimTimer = setTimeout(() => {
      this.log.debug('ARTIM expired: closing', { reason });
      this.socket.destroy();
    }, this.deps.timeouts.artimTimeoutMs);
    this.artimTimer.unref();
  }

  private clearArtim(): void {
    if (this.artimTimer !== undefined) clearTimeout(this.artimTimer);
    this.artimTimer = undefined;
  }

  /** Ends the association because of a fault: A-ABORT to the peer (once), then close. */
  private fail(outcome: AssociationOutcome, reason: string, abortReason: number = AbortReason.NotSpecified, code: ErrorCode = codeFor(outcome, abortReason)): void {
    if (this.state === 'closed') return;
    const wasEstablished = this.state === 'established';
    this.state = 'closed';
    this.outcome = outcome;
    this.outcomeReason = reason;
    const level = outcome === 'aborted' && reason.startsWith('internal') ? 'error' : 'warn';
    this.log[level]('association aborted', { code, peer: this.peerAddress, callingAe: this.callingAeTitle || undefined, reason });
    if (!this.socket.destroyed) {
      // After A-ASSOCIATE-RQ a provider abort is the way to tell the peer; before it, just close.
      if (wasEstablished || abortReason !== AbortReason.NotSpecified) this.socket.end(encodeAbort(AbortSource.ServiceProvider, abortReason));
      else this.socket.end();
      setTimeout(() => this.socket.destroy(), 2000).unref();
    }
  }

  private onClose(): void {
    this.state = 'closed';
    this.clearArtim();
    if (this.pduTimer !== undefined) clearTimeout(this.pduTimer);
    if (this.rateTimer !== undefined) clearTimeout(this.rateTimer);
    if (this.lifetimeTimer !== undefined) clearTimeout(this.lifetimeTimer);
    if (this.pending !== undefined) {
      this.pending.sink.abort();
      this.pending = undefined;
    }
    this.queue.length = 0;
    const summary: AssociationSummary = {
      associationId: this.id,
      peerAddress: this.peerAddress,
      transport: this.tlsPeer === undefined ? 'tcp' : 'tls',
      callingAeTitle: this.callingAeTitle,
      calledAeTitle: this.calledAeTitle,
      outcome: this.outcome,
      ...(this.outcomeReason === undefined ? {} : { reason: this.outcomeReason }),
      ...this.stats,
      durationMs: Date.now() - this.startedAt,
    };
    this.log.info('association ended', { ...summary });
    this.resolveClosed(summary);
  }
}

/** The error code logged for an abort, from what kind of fault it was. */
function codeFor(outcome: AssociationOutcome, abortReason: number): ErrorCode {
  if (outcome === 'timed-out') return 'GW_ERR_ASSOCIATION_TIMEOUT';
  if (abortReason === AbortReason.UnexpectedPdu || abortReason === AbortReason.UnexpectedPduParameter) return 'GW_ERR_PDU_UNEXPECTED';
  if (abortReason === AbortReason.NotSpecified) return 'GW_ERR_SHUTTING_DOWN';
  return 'GW_ERR_PDU_MALFORMED';
}

