/**
 * One accepted MLLP connection: decodes frames, answers them strictly in order (HL7 original mode allows one
 * outstanding message), pauses the socket while work is queued, and ends on idle timeout, peer close or shutdown.
 */
import type { Socket } from 'node:net';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { normalizeAddress } from '../net/index.js';
import type { FrameAnswer, Hl7Peer } from './exchange.js';
import { MllpDecoder, encodeMllpFrame, type MllpDecoderEvent } from './mllp-framing.js';

/** A frame waiting to be answered: complete, or too large and discarded. */
export type QueuedFrame = { kind: 'frame'; payload: Buffer } | { kind: 'frame-too-large'; head: Buffer; frameBytes: number };

/** A framing fault in the peer's byte stream (nothing to answer; reported and logged). */
export type FramingFault = Exclude<MllpDecoderEvent, { kind: 'frame' }>;

export type ConnectionEndReason = 'peer-closed' | 'idle-timeout' | 'shutdown' | 'socket-error' | 'internal-error';

/** What a connection did, reported once when it closes. */
export interface ConnectionSummary {
  connectionId: string;
  peerAddress: string;
  framesAnswered: number;
  /** Framing faults seen on the connection (only the first few are logged one by one). */
  framingFaults: number;
  reason: ConnectionEndReason;
  durationMs: number;
}

export interface ConnectionDeps {
  connectionId: string;
  maxMessageBytes: number;
  idleTimeoutMs: number;
  answer: (frame: QueuedFrame, peer: Hl7Peer) => Promise<FrameAnswer>;
  onAnswered: (answer: FrameAnswer, peer: Hl7Peer) => void;
  /** `nth` counts the connection's faults from 1. */
  onFramingFault: (fault: FramingFault, peer: Hl7Peer, nth: number) => void;
  log: Logger;
}

/**
 * Frames queued before the socket is paused. Bytes count too: the queue is paused at maxMessageBytes, so one
 * connection holds at most its decoder's frame, the queue and the frame in hand, about 3 × maxMessageBytes.
 */
const MAX_QUEUED_FRAMES = 4;

export class MllpConnection {
  readonly peer: Hl7Peer;
  private readonly decoder: MllpDecoder;
  private readonly queue: QueuedFrame[] = [];
  private queuedBytes = 0;
  private busy = false;
  private peerEnded = false;
  private stopping = false;
  private answered = 0;
  private framingFaults = 0;
  private reason: ConnectionEndReason = 'peer-closed';
  private readonly startedAt = Date.now();
  private readonly closedPromise: Promise<ConnectionSummary>;

  constructor(
    private readonly socket: Socket,
    private readonly deps: ConnectionDeps,
  ) {
    this.peer = { connectionId: deps.connectionId, address: normalizeAddress(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
    this.decoder = new MllpDecoder({ maxMessageBytes: deps.maxMessageBytes });
    this.closedPromise = new Promise((resolve) => {
      socket.once('close', () => resolve(this.summary()));
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.guard(() => this.onData(chunk)));
    socket.on('end', () => this.guard(() => this.onEnd()));
    socket.on('error', (err) => {
      this.reason = 'socket-error';
      deps.log.debug('hl7 socket error', { connectionId: deps.connectionId, err: err.message });
    });
    socket.setTimeout(deps.idleTimeoutMs, () => this.guard(() => this.onIdle()));
  }

  /** Resolves once the socket has closed. */
  get closed(): Promise<ConnectionSummary> {
    return this.closedPromise;
  }

  /** Shutdown: read no more, drop frames not yet started (they were never ACKed, so the sender resends), end after the current one. */
  shutdown(): void {
    this.stopping = true;
    this.reason = 'shutdown';
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.socket.pause();
    if (!this.busy) this.socket.end();
  }

  /** Closes now, whatever is in flight. */
  destroy(reason: ConnectionEndReason): void {
    this.reason = reason;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.stopping) return;
    this.accept(this.decoder.push(chunk));
  }

  private onEnd(): void {
    // We allow half-open sockets: a peer that sends and then shuts down writing still gets its ACKs.
    this.peerEnded = true;
    this.accept(this.decoder.finish());
    if (!this.busy && this.queue.length === 0) this.socket.end();
  }

  private onIdle(): void {
    // While the handler works the peer is waiting for us, not idle.
    if (this.busy) return;
    this.deps.log.info('hl7 connection idle, closing', { connectionId: this.peer.connectionId, idleTimeoutMs: this.deps.idleTimeoutMs });
    this.destroy('idle-timeout');
  }

  private accept(events: MllpDecoderEvent[]): void {
    for (const e of events) {
      if (e.kind === 'frame') this.enqueue(e);
      else {
        this.deps.onFramingFault(e, this.peer, ++this.framingFaults);
        if (e.kind === 'frame-too-large') this.enqueue(e);
      }
    }
    if (this.queueFull()) this.socket.pause();
    void this.drain();
  }

  private enqueue(frame: QueuedFrame): void {
    this.queue.push(frame);
    this.queuedBytes += frameSize(frame);
  }

  private queueFull(): boolean {
    return this.queue.length >= MAX_QUEUED_FRAMES || this.queuedBytes >= this.deps.maxMessageBytes;
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length > 0 && !this.socket.destroyed) {
        const frame = this.queue.shift() as QueuedFrame;
        this.queuedBytes -= frameSize(frame);
        const answer = await this.deps.answer(frame, this.peer);
        this.answered += 1;
        if (answer.reply !== undefined && this.socket.writable) {
          const flushed = this.socket.write(encodeMllpFrame(answer.reply));
          if (!flushed) await this.waitForDrain();
        }
        this.deps.onAnswered(answer, this.peer);
        if (!this.queueFull() && this.socket.isPaused() && !this.stopping) this.socket.resume();
      }
    } catch (err) {
      // Only our own bugs land here: answer() turns handler and parse failures into ACKs.
      this.deps.log.error('hl7 connection failed', { connectionId: this.peer.connectionId, err: describeError(err) });
      this.destroy('internal-error');
    } finally {
      this.busy = false;
    }
    if ((this.stopping || this.peerEnded) && this.queue.length === 0 && !this.socket.destroyed) this.socket.end();
  }

  private waitForDrain(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  /** Socket callbacks never throw: a bug here closes this connection, never the process. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.deps.log.error('hl7 connection failed', { connectionId: this.peer.connectionId, err: describeError(err) });
      this.destroy('internal-error');
    }
  }

  private summary(): ConnectionSummary {
    return { connectionId: this.peer.connectionId, peerAddress: this.peer.address, framesAnswered: this.answered, framingFaults: this.framingFaults, reason: this.reason, durationMs: Date.now() - this.startedAt };
  }
}

function frameSize(frame: QueuedFrame): number {
  return frame.kind === 'frame' ? frame.payload.length : frame.head.length;
}
