/**
 * The requesting side of one association (PS3.8 §9.2, states Sta4–Sta7 as an SCU sees them): connect, negotiate,
 * one DIMSE request at a time with its dataset streamed in P-DATA fragments no larger than the peer's max PDU,
 * then A-RELEASE. Every failure ends as a typed AssociationFailure; nothing throws out of a socket callback.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { GatewayError, describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { AeTitle } from '../net/index.js';
import { describeTlsFailure, isTlsFailure, tlsPeerIdentity } from '../tls/index.js';
import { DimseAssembler, MAX_COMMAND_BYTES, type AssemblyFault } from './dimse-assembler.js';
import { NO_DATASET, encodeCommand, type DimseCommand } from './dimse-command.js';
import {
  AbortReason,
  AbortSource,
  PduType,
  decodeAbortLenient,
  decodeAssociateAc,
  decodeAssociateRj,
  encodeAbort,
  encodeAssociateRq,
  encodeReleaseRp,
  encodeReleaseRq,
  type AssociateAc,
  type AssociateRj,
  type ProposedContext,
} from './pdu.js';
import { PduReader, type RawPdu } from './pdu-reader.js';
import type { DatasetSource } from './scu-file.js';
import { fragmentBlock, fragmentBytesFor } from './scu-pdata.js';
import { describeAbort, describeReject, timeoutText, type AssociationFailure, type ScuPeer, type ScuPhase } from './scu-outcomes.js';

export interface ScuAssociationOptions {
  host: string;
  port: number;
  callingAeTitle: AeTitle;
  calledAeTitle: AeTitle;
  connectTimeoutMs: number;
  /** ARTIM: A-ASSOCIATE-AC/RJ after the RQ, and A-RELEASE-RP after the RQ. */
  associationTimeoutMs: number;
  /** A response after the request's last byte; also how long the peer may stop reading our data. */
  dimseTimeoutMs: number;
  /** Our receive limit, advertised in the A-ASSOCIATE-RQ and enforced on every PDU. */
  maxPduBytes: number;
  /** TLS options (material, servername, verification) when the peer speaks DICOM over TLS; absent: plain TCP. */
  tls?: ConnectionOptions;
  log: Logger;
}

/** A context as the peer answered it. `transferSyntax` is meaningful only when `result` is 0 (acceptance). */
export interface NegotiatedContext {
  id: number;
  abstractSyntax: string;
  result: number;
  transferSyntax: string;
}

export type OpenResult = { kind: 'established'; association: ScuAssociation; contexts: NegotiatedContext[] } | AssociationFailure;
export type RequestResult =
  | { kind: 'response'; command: DimseCommand }
  /** Reading the dataset failed mid-message: we aborted the association (the failure says so). */
  | { kind: 'source-failed'; detail: string; failure: AssociationFailure }
  | AssociationFailure;

type State = 'connecting' | 'awaiting-ac' | 'established' | 'awaiting-rp' | 'closed';
type PeerEvent =
  | { type: 'ac'; ac: AssociateAc }
  | { type: 'rj'; rj: AssociateRj }
  | { type: 'response'; contextId: number; command: DimseCommand }
  | { type: 'release-rp' };

/** Non-P-DATA PDUs are small; P-DATA is bounded by our advertised max. */
const MAX_CONTROL_PDU_BYTES = 64 * 1024;
/** Files are read in blocks of about this size, each written as one batch of fragments. */
const SEND_BLOCK_BYTES = 1024 * 1024;
/** After our A-ABORT or A-RELEASE-RP, how long the peer gets to close before we destroy the socket. */
const CLOSE_GRACE_MS = 1000;

export class ScuAssociation {
  readonly id = randomBytes(4).toString('hex');
  private state: State = 'connecting';
  private readonly socket: Socket;
  private readonly reader = new PduReader(MAX_CONTROL_PDU_BYTES);
  private readonly peer: ScuPeer;
  private readonly log: Logger;
  private failure: AssociationFailure | undefined;
  private socketError: NodeJS.ErrnoException | undefined;
  private readonly events: PeerEvent[] = [];
  private eventWaiter: ((e: PeerEvent | AssociationFailure) => void) | undefined;
  private drainWaiter: (() => void) | undefined;
  private connectWaiter: ((f: AssociationFailure | undefined) => void) | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private peerMaxPdu = 0;
  /** A response's dataset is read and dropped (C-STORE/C-ECHO responses have none). */
  private readonly assembler = new DimseAssembler({
    maxCommandBytes: MAX_COMMAND_BYTES,
    isKnownContext: (id) => this.proposed.some((c) => c.id === id),
    commandDuringDataset: 'end-dataset',
  });
  /** One request outstanding at most (no asynchronous operations window is negotiated, PS3.7 §D.3.3.3). */
  private awaitingResponse = false;
  private nextMessageId = 1;
  private tcpConnected = false;

  private constructor(
    private readonly options: ScuAssociationOptions,
    private readonly proposed: ProposedContext[],
  ) {
    this.peer = { peer: `${options.host}:${options.port}`, callingAeTitle: options.callingAeTitle, calledAeTitle: options.calledAeTitle };
    this.log = options.log.child({ assoc: this.id, peer: this.peer.peer, calledAe: options.calledAeTitle });
    // The one place the transport is chosen: everything after the handshake is the same code.
    this.socket = options.tls === undefined ? connect({ host: options.host, port: options.port }) : connectTls(options.tls);
    // Nagle would hold each small PDU (a command, the last fragment) back by up to 40 ms per C-STORE.
    this.socket.setNoDelay(true);
    if (options.tls === undefined) this.socket.on('connect', () => this.onConnect());
    else {
      this.socket.on('connect', () => (this.tcpConnected = true)); // TCP is up: what fails from here is the handshake
      this.socket.on('secureConnect', () => {
        const who = tlsPeerIdentity(this.socket as TLSSocket);
        this.log.debug('TLS peer', { subject: who.subject, protocol: who.protocol });
        this.onConnect();
      });
    }
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => {
      this.socketError = err;
      this.log.debug('socket error', { err: err.message });
    });
    this.socket.on('close', () => this.onClose());
  }

  /** Connects, sends A-ASSOCIATE-RQ and waits (ARTIM) for the answer. */
  static async open(options: ScuAssociationOptions, contexts: ProposedContext[]): Promise<OpenResult> {
    const assoc = new ScuAssociation(options, contexts);
    const connectFailure = await assoc.waitConnected();
    if (connectFailure !== undefined) return connectFailure;
    const event = await assoc.nextEvent('associate', options.associationTimeoutMs);
    if (!('type' in event)) return event;
    if (event.type === 'rj') {
      const words = describeReject(event.rj);
      return assoc.fail({
        ...assoc.peer,
        kind: 'rejected',
        ...event.rj,
        resultText: words.resultText,
        sourceText: words.sourceText,
        reasonText: words.reasonText,
        retryable: words.retryable,
        detail: `association ${words.resultText} by the ${words.sourceText}: ${words.reasonText}`,
      });
    }
    if (event.type !== 'ac') return assoc.protocolError(`${event.type} before A-ASSOCIATE-AC`, AbortReason.UnexpectedPdu);
    const negotiated = assoc.checkAc(event.ac);
    if (!Array.isArray(negotiated)) return negotiated;
    return { kind: 'established', association: assoc, contexts: negotiated };
  }

  /** A fresh Message ID (PS3.7 §9.3.1.1: unique among the outstanding ones; we wrap at 65535). */
  messageId(): number {
    const id = this.nextMessageId;
    this.nextMessageId = id === 0xffff ? 1 : id + 1;
    return id;
  }

  /**
   * Sends one DIMSE request (and its dataset, streamed from `dataset`) and waits for the response.
   * The caller checks the response fields; this checks only that it arrived on the same context.
   */
  async request(contextId: number, command: DimseCommand, dataset?: DatasetSource): Promise<RequestResult> {
    if (this.failure !== undefined) return this.failure;
    this.awaitingResponse = true;
    const commandBytes = encodeCommand(command);
    const commandFailure = await this.writeParts(fragmentBlock(contextId, true, commandBytes, fragmentBytesFor(this.peerMaxPdu), true));
    if (commandFailure !== undefined) return commandFailure;
    if (dataset !== undefined) {
      const sent = await this.sendDataset(contextId, dataset);
      if (sent !== undefined) return sent;
    }
    const event = await this.nextEvent('dimse', this.options.dimseTimeoutMs);
    if (!('type' in event)) return event;
    if (event.type !== 'response') return this.protocolError(`unexpected ${event.type} while awaiting a DIMSE response`, AbortReason.UnexpectedPdu);
    if (event.contextId !== contextId) {
      return this.protocolError(`response on presentation context ${event.contextId}, request was on ${contextId}`, AbortReason.InvalidPduParameterValue);
    }
    return { kind: 'response', command: event.command };
  }

  /** A-RELEASE-RQ, then A-RELEASE-RP within the ARTIM time or A-ABORT. */
  async release(): Promise<{ kind: 'released' } | AssociationFailure> {
    if (this.failure !== undefined) return this.failure;
    this.state = 'awaiting-rp';
    this.socket.write(encodeReleaseRq());
    const event = await this.nextEvent('release', this.options.associationTimeoutMs);
    if (!('type' in event)) return event;
    this.closeSocket();
    return { kind: 'released' };
  }

  /** Our own abort (A-ABORT, source service user): used when we cannot finish a message we started. */
  abort(detail: string): AssociationFailure {
    return this.fail({ ...this.peer, kind: 'aborted', by: 'us', detail, retryable: true }, encodeAbort(AbortSource.ServiceUser, AbortReason.NotSpecified));
  }

  /** A-ABORT for a DIMSE-level violation by the peer found by the caller (a response that answers something else). */
  abortForViolation(detail: string): AssociationFailure {
    return this.protocolError(detail, AbortReason.InvalidPduParameterValue);
  }

  // ───────────── sending ─────────────

  private async sendDataset(contextId: number, source: DatasetSource): Promise<RequestResult | undefined> {
    const fragment = fragmentBytesFor(this.peerMaxPdu);
    const block = fragment * Math.max(1, Math.floor(SEND_BLOCK_BYTES / fragment));
    let remaining = source.length;
    if (remaining === 0) return this.writeParts(fragmentBlock(contextId, false, Buffer.alloc(0), fragment, true));
    while (remaining > 0) {
      let bytes: Buffer;
      try {
        bytes = await source.read(Math.min(block, remaining));
        if (bytes.length === 0) throw new Error('no bytes where the dataset should continue');
      } catch (err) {
        const detail = `reading the dataset failed after ${source.length - remaining} of ${source.length} bytes: ${describeError(err)}`;
        return { kind: 'source-failed', detail, failure: this.abort(detail) };
      }
      remaining -= bytes.length;
      // An odd-length dataset (a deflated stream, or a file whose last value has an odd length) gets one trailing
      // NUL: PS3.5 §A.5 pads deflated data so, and peers refuse odd fragments (DCMTK: "Odd Fragment Length").
      if (remaining === 0 && source.length % 2 === 1) bytes = Buffer.concat([bytes, Buffer.alloc(1)]);
      const failure = await this.writeParts(fragmentBlock(contextId, false, bytes, fragment, remaining === 0));
      if (failure !== undefined) return failure;
    }
    return undefined;
  }

  /** Writes buffers in one go (writev) and waits for 'drain' when the socket buffer is full. */
  private async writeParts(parts: Buffer[]): Promise<AssociationFailure | undefined> {
    if (this.failure !== undefined) return this.failure;
    this.socket.cork();
    for (const p of parts) this.socket.write(p);
    this.socket.uncork();
    if (this.socket.writableNeedDrain) await this.waitDrain();
    return this.failure;
  }

  private waitDrain(): Promise<void> {
    return new Promise((resolve) => {
      const ms = this.options.dimseTimeoutMs;
      const timer = setTimeout(() => this.timedOut('dimse', `the peer read none of our data for ${ms} ms`), ms);
      const done = (): void => {
        clearTimeout(timer);
        this.socket.off('drain', done);
        this.drainWaiter = undefined;
        resolve();
      };
      this.socket.on('drain', done);
      this.drainWaiter = done;
    });
  }

  // ───────────── receiving ─────────────

  private waitConnected(): Promise<AssociationFailure | undefined> {
    return new Promise((resolve) => {
      this.connectWaiter = resolve;
      const ms = this.options.connectTimeoutMs;
      const late = (): string => (this.tcpConnected ? `no TLS handshake within ${ms} ms (does the peer speak TLS on this port?)` : `TCP connect did not complete within ${ms} ms`);
      this.connectTimer = setTimeout(() => this.timedOut('connect', late()), ms);
    });
  }

  private onConnect(): void {
    clearTimeout(this.connectTimer);
    if (this.state !== 'connecting') return;
    this.state = 'awaiting-ac';
    this.socket.write(
      encodeAssociateRq({
        calledAeTitle: this.options.calledAeTitle,
        callingAeTitle: this.options.callingAeTitle,
        contexts: this.proposed,
        maxPduLength: this.options.maxPduBytes,
      }),
    );
    this.connectWaiter?.(undefined);
    this.connectWaiter = undefined;
  }

  /** The next thing the peer said, or the failure that ended the association (a timer counts as one). */
  private nextEvent(phase: ScuPhase, timeoutMs: number): Promise<PeerEvent | AssociationFailure> {
    if (this.failure !== undefined) return Promise.resolve(this.failure);
    const queued = this.events.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.timedOut(phase, timeoutText(phase, timeoutMs)), timeoutMs);
      this.eventWaiter = (e) => {
        clearTimeout(timer);
        this.eventWaiter = undefined;
        resolve(e);
      };
    });
  }

  /** A method, not a narrowed field read: the state changes inside the loop. */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private emit(event: PeerEvent): void {
    if (this.eventWaiter !== undefined) this.eventWaiter(event);
    else this.events.push(event);
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    try {
      for (const pdu of this.reader.push(chunk)) {
        this.onPdu(pdu);
        if (this.isClosed()) return;
      }
    } catch (err) {
      // The peer's bytes did not parse (PduReader or a decoder): PS3.8 §9.2 AA-8, A-ABORT and close.
      const tooLarge = err instanceof GatewayError && err.code === 'GW_ERR_PDU_TOO_LARGE';
      this.protocolError(describeError(err), tooLarge ? AbortReason.InvalidPduParameterValue : AbortReason.UnrecognizedPdu);
    }
  }

  private onPdu(pdu: RawPdu): void {
    if (pdu.type === PduType.Abort) {
      const words = describeAbort(decodeAbortLenient(pdu.body));
      this.fail({ ...this.peer, kind: 'aborted', by: 'peer', ...words, retryable: true, detail: `peer sent A-ABORT (${words.sourceText}: ${words.reasonText})` });
      return;
    }
    switch (this.state) {
      case 'awaiting-ac':
        if (pdu.type === PduType.AssociateAc) {
          const ac = decodeAssociateAc(pdu.body);
          this.state = 'established';
          this.peerMaxPdu = ac.maxPduLength;
          this.reader.setLimit(Math.max(this.options.maxPduBytes, MAX_CONTROL_PDU_BYTES));
          this.emit({ type: 'ac', ac });
        } else if (pdu.type === PduType.AssociateRj) {
          const rj = decodeAssociateRj(pdu.body);
          this.state = 'closed'; // the acceptor closes next (PS3.8 AA-3); `open` records the rejection
          this.emit({ type: 'rj', rj });
        } else {
          this.protocolError(`PDU type 0x${pdu.type.toString(16)} instead of A-ASSOCIATE-AC/RJ`, AbortReason.UnexpectedPdu);
        }
        return;
      case 'established':
        if (pdu.type === PduType.PData) this.onPData(pdu.body);
        else if (pdu.type === PduType.ReleaseRq) {
          // The acceptor may release too (PS3.8 §7.2); we had not finished, so the caller sees an ended association.
          this.fail({ ...this.peer, kind: 'aborted', by: 'peer', retryable: true, detail: 'peer released the association before we were done' }, encodeReleaseRp());
        } else this.protocolError(`unexpected PDU type 0x${pdu.type.toString(16)} on an established association`, AbortReason.UnexpectedPdu);
        return;
      case 'awaiting-rp':
        if (pdu.type === PduType.ReleaseRp) {
          this.state = 'closed';
          this.emit({ type: 'release-rp' });
        } else if (pdu.type === PduType.ReleaseRq) {
          this.socket.write(encodeReleaseRp()); // release collision (PS3.8 §9.2.2): answer and keep waiting for theirs
        } else if (pdu.type !== PduType.PData) {
          // P-DATA may still arrive in Sta7 (PS3.8 Table 9-10); we have nothing outstanding, so it is dropped.
          this.protocolError(`unexpected PDU type 0x${pdu.type.toString(16)} while awaiting A-RELEASE-RP`, AbortReason.UnexpectedPdu);
        }
        return;
      default:
        return;
    }
  }

  private onPData(body: Buffer): void {
    for (const step of this.assembler.read(body)) {
      if (step.kind === 'fault') {
        this.failAssembly(step.fault);
        return;
      }
      if (step.kind === 'dataset') continue;
      const { command, contextId } = step;
      if (command.dataSetType !== NO_DATASET) this.assembler.expectDataset(contextId);
      if (!this.awaitingResponse) {
        this.protocolError(`DIMSE message 0x${command.commandField.toString(16)} with no request of ours outstanding`, AbortReason.UnexpectedPduParameter);
        return;
      }
      this.awaitingResponse = false;
      this.emit({ type: 'response', contextId, command });
    }
  }

  /** A-ABORT for a P-DATA fault, in the SCU's words. */
  private failAssembly(fault: AssemblyFault): void {
    switch (fault.kind) {
      case 'malformed-pdata':
      case 'malformed-command':
        // PS3.8 §9.2 AA-8: bytes that do not parse.
        this.protocolError(fault.detail, AbortReason.UnrecognizedPdu);
        return;
      case 'unknown-context':
        this.protocolError(`PDV on presentation context ${fault.contextId}, which we never proposed`, AbortReason.InvalidPduParameterValue);
        return;
      case 'command-too-large':
        this.protocolError(`DIMSE response larger than ${fault.maxBytes} bytes`, AbortReason.InvalidPduParameterValue);
        return;
      case 'dataset-without-command':
        this.protocolError('dataset PDV without a response command announcing it', AbortReason.UnexpectedPduParameter);
        return;
      case 'command-during-dataset': // not raised while commandDuringDataset is 'end-dataset'
        this.protocolError('command PDV while a response dataset was still arriving', AbortReason.UnexpectedPduParameter);
        return;
    }
  }

  private onClose(): void {
    clearTimeout(this.connectTimer);
    if (this.failure !== undefined || this.state === 'closed') {
      this.state = 'closed';
      return;
    }
    const err = this.socketError;
    const why = err === undefined ? '' : `: ${err.code ?? err.message}`;
    // A certificate or handshake problem, whenever it surfaces (TLS 1.3 reports a refused client certificate after the
    // client thinks it is connected): named as such, with OpenSSL's words.
    const inHandshake = this.tcpConnected && this.state === 'connecting';
    if (this.options.tls !== undefined && err !== undefined && (inHandshake || isTlsFailure(err.code))) {
      this.fail({
        ...this.peer,
        kind: 'connection-failed',
        ...(err.code === undefined ? {} : { errno: err.code }),
        retryable: true,
        detail: `TLS with ${this.peer.peer} failed: ${describeTlsFailure(err)}`,
      });
      return;
    }
    if (this.state === 'connecting') {
      this.fail({
        ...this.peer,
        kind: 'connection-failed',
        ...(err?.code === undefined ? {} : { errno: err.code }),
        retryable: true,
        detail: `cannot connect to ${this.peer.peer}${err === undefined ? '' : `: ${err.message}`}`,
      });
      return;
    }
    const when = this.state === 'awaiting-ac' ? 'before answering the A-ASSOCIATE-RQ' : this.state === 'awaiting-rp' ? 'before A-RELEASE-RP' : 'without A-RELEASE or A-ABORT';
    this.fail({ ...this.peer, kind: 'aborted', by: 'peer', retryable: true, detail: `peer closed the connection ${when}${why}` });
  }

  // ───────────── ending ─────────────

  /** Checks the A-ASSOCIATE-AC against what we proposed (PS3.8 §9.3.3.2). */
  private checkAc(ac: AssociateAc): NegotiatedContext[] | AssociationFailure {
    const out: NegotiatedContext[] = [];
    for (const p of this.proposed) {
      const answer = ac.contexts.find((c) => c.id === p.id);
      // A context the acceptor did not answer is as good as refused without a reason.
      if (answer === undefined) {
        out.push({ id: p.id, abstractSyntax: p.abstractSyntax, result: 2, transferSyntax: '' });
        continue;
      }
      if (answer.result === 0 && !p.transferSyntaxes.includes(answer.transferSyntax)) {
        return this.protocolError(`context ${p.id} accepted with transfer syntax ${answer.transferSyntax}, which we did not propose`, AbortReason.InvalidPduParameterValue);
      }
      out.push({ id: p.id, abstractSyntax: p.abstractSyntax, result: answer.result, transferSyntax: answer.transferSyntax });
    }
    return out;
  }

  private timedOut(phase: ScuPhase, detail: string): void {
    // ARTIM expiry while awaiting A-ASSOCIATE-AC just closes (PS3.8 AA-2); later phases abort first.
    const abort = phase === 'dimse' || phase === 'release' ? encodeAbort(AbortSource.ServiceUser, AbortReason.NotSpecified) : undefined;
    this.fail({ ...this.peer, kind: 'timeout', phase, retryable: true, detail }, abort);
  }

  /** A-ABORT (source service provider) for something the peer did wrong; not retried: it will do it again. */
  private protocolError(detail: string, reason: number): AssociationFailure {
    return this.fail({ ...this.peer, kind: 'protocol-error', retryable: false, detail }, encodeAbort(AbortSource.ServiceProvider, reason));
  }

  /** Records the first failure, sends `lastPdu` (an A-ABORT, or A-RELEASE-RP) when given, closes, and wakes whoever waits. */
  private fail(failure: AssociationFailure, lastPdu?: Buffer): AssociationFailure {
    if (this.failure !== undefined) return this.failure;
    this.failure = failure;
    this.state = 'closed';
    clearTimeout(this.connectTimer);
    this.log.debug('association ended early', { kind: failure.kind, detail: failure.detail });
    if (lastPdu !== undefined && !this.socket.destroyed && !this.socket.connecting) {
      this.socket.end(lastPdu);
      this.closeSocket();
    } else {
      this.socket.destroy();
    }
    this.connectWaiter?.(failure);
    this.connectWaiter = undefined;
    this.eventWaiter?.(failure);
    this.drainWaiter?.();
    return failure;
  }

  private closeSocket(): void {
    this.state = 'closed';
    if (this.socket.destroyed) return;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }
}


