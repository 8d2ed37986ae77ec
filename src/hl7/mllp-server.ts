/**
 * The MLLP listener: binds only the configured host, admits peers on the allow-list up to a connection cap, hands
 * each message to the injected handler and writes the ACK it decides, and shuts down gracefully. Never imports db.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { HostAllowList, normalizePeerAddress } from './allowed-hosts.js';
import { type ControlIdGenerator, createControlIdGenerator } from './control-id.js';
import { type ExchangeDeps, type FrameAnswer, type Hl7MessageHandler, type Hl7Peer, type MessageOutcome, answerFrame, answerOversize } from './exchange.js';
import { MllpConnection, type ConnectionSummary, type FramingFault, type QueuedFrame } from './mllp-connection.js';
import type { Hl7ErrorCode } from './problems.js';

/** Listener settings (config `hl7.*`). */
export interface MllpServerOptions {
  /** Address to bind (127.0.0.1 by default in config; never all interfaces unless configured). */
  host: string;
  /** Port; 0 picks a free one, which listen() reports. */
  port: number;
  /** Source IPs / CIDR blocks admitted; others are closed at once. */
  allowedHosts: readonly string[];
  maxConnections: number;
  /** Largest message (frame payload) accepted; larger ones get AR and are never buffered whole. */
  maxMessageBytes: number;
  /** A connection with nothing from the peer for this long (and nothing in progress) is closed. */
  idleTimeoutMs: number;
  /** On close(), in-flight messages get this long before sockets are destroyed. */
  shutdownTimeoutMs: number;
  /** Reserved for MLLP over TLS (certificate paths come with the TLS work); must be absent for now. */
  tls?: MllpTlsOptions;
}

/** TLS settings, reserved: the listener is structured for tls.createServer but does not offer it yet. */
export interface MllpTlsOptions {
  certFile: string;
  keyFile: string;
  caFile?: string;
  requireClientCert?: boolean;
}

export interface MllpServerDeps {
  handler: Hl7MessageHandler;
  log: Logger;
  clock?: () => Date;
  controlIds?: ControlIdGenerator;
}

export interface ConnectionOpened {
  connectionId: string;
  peerAddress: string;
  peerPort: number;
}

export interface ConnectionRefused {
  peerAddress: string;
  code: Extract<Hl7ErrorCode, 'GW_ERR_HL7_PEER_NOT_ALLOWED' | 'GW_ERR_HL7_TOO_MANY_CONNECTIONS'> | 'GW_ERR_SHUTTING_DOWN';
}

export interface MessageHandled extends MessageOutcome {
  connectionId: string;
  peerAddress: string;
}

export interface FrameError {
  connectionId: string;
  peerAddress: string;
  code: Extract<Hl7ErrorCode, 'GW_ERR_HL7_FRAME_TOO_LARGE' | 'GW_ERR_HL7_FRAMING'>;
  fault: FramingFault;
}

/** The server's typed events; listeners that throw are logged, never propagated into socket code. */
export interface MllpServerEvents {
  connection: [ConnectionOpened];
  'connection-refused': [ConnectionRefused];
  message: [MessageHandled];
  'frame-error': [FrameError];
  'connection-closed': [ConnectionSummary];
}

export class MllpServer extends EventEmitter<MllpServerEvents> {
  private readonly server: Server;
  private readonly allowList: HostAllowList;
  private readonly connections = new Set<MllpConnection>();
  private readonly exchange: ExchangeDeps;
  private stopping = false;

  constructor(
    private readonly options: MllpServerOptions,
    private readonly deps: MllpServerDeps,
  ) {
    super();
    if (options.tls !== undefined) throw new RangeError('hl7.tls is not supported yet: remove it, or put the listener behind a TLS terminator');
    this.allowList = new HostAllowList(options.allowedHosts);
    this.exchange = { handler: deps.handler, log: deps.log, clock: deps.clock ?? (() => new Date()), controlIds: deps.controlIds ?? createControlIdGenerator() };
    this.server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => this.onConnection(socket));
    // Hard cap above maxConnections: between the two, peers are closed with a log line; beyond it, by the kernel.
    this.server.maxConnections = options.maxConnections * 2 + 4;
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.options.host, port: this.options.port }, () => {
        this.server.off('error', reject);
        this.server.on('error', (err) => this.deps.log.error('hl7 listener error', { err: err.message }));
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : this.options.port);
      });
    });
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** Stops accepting, lets in-flight messages finish and be ACKed for up to shutdownTimeoutMs, then destroys the rest. */
  async close(): Promise<void> {
    this.stopping = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const pending = [...this.connections].map((c) => c.closed);
    for (const c of this.connections) c.shutdown();
    if (pending.length > 0) {
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), this.options.shutdownTimeoutMs).unref());
      if ((await Promise.race([Promise.all(pending), timer])) === 'timeout') {
        for (const c of this.connections) c.destroy('shutdown');
        await Promise.all(pending);
      }
    }
    await closed;
  }

  private onConnection(socket: Socket): void {
    const peerAddress = normalizePeerAddress(socket.remoteAddress ?? '');
    const refusal = this.stopping
      ? 'GW_ERR_SHUTTING_DOWN'
      : !this.allowList.allows(peerAddress)
        ? 'GW_ERR_HL7_PEER_NOT_ALLOWED'
        : this.connections.size >= this.options.maxConnections
          ? 'GW_ERR_HL7_TOO_MANY_CONNECTIONS'
          : undefined;
    if (refusal !== undefined) {
      this.deps.log.warn('hl7 connection refused', { code: refusal, peerAddress, allowedHosts: this.options.allowedHosts.join(','), maxConnections: this.options.maxConnections });
      socket.on('error', () => {});
      socket.destroy();
      this.emitSafely('connection-refused', { peerAddress, code: refusal });
      return;
    }
    const connectionId = randomBytes(4).toString('hex');
    const connection = new MllpConnection(socket, {
      connectionId,
      maxMessageBytes: this.options.maxMessageBytes,
      idleTimeoutMs: this.options.idleTimeoutMs,
      log: this.deps.log,
      answer: (frame, peer) => this.answer(frame, peer),
      onAnswered: (answer, peer) => this.onAnswered(answer, peer),
      onFramingFault: (fault, peer) => this.onFramingFault(fault, peer),
    });
    this.connections.add(connection);
    this.deps.log.info('hl7 connection opened', { connectionId, peerAddress });
    this.emitSafely('connection', { connectionId, peerAddress, peerPort: connection.peer.port });
    void connection.closed.then((summary) => {
      this.connections.delete(connection);
      this.deps.log.info('hl7 connection closed', { ...summary });
      this.emitSafely('connection-closed', summary);
    });
  }

  private answer(frame: QueuedFrame, peer: Hl7Peer): Promise<FrameAnswer> {
    if (frame.kind === 'frame-too-large') return Promise.resolve(answerOversize(frame.head, frame.frameBytes, this.options.maxMessageBytes, this.exchange));
    return answerFrame(frame.payload, peer, this.exchange);
  }

  private onAnswered(answer: FrameAnswer, peer: Hl7Peer): void {
    for (const outcome of answer.outcomes) {
      const fields = { connectionId: peer.connectionId, peerAddress: peer.address, ...outcome };
      // The peer's bad input is a warning; traffic is info. MSH-10 is a control id, not patient data.
      if (outcome.problem !== undefined && outcome.problem !== 'GW_ERR_HL7_HANDLER_FAILED') this.deps.log.warn('hl7 message rejected', fields);
      else if (outcome.notes !== undefined) this.deps.log.warn('hl7 message answered, input tolerated', fields);
      else this.deps.log.info('hl7 message answered', fields);
      this.emitSafely('message', fields);
    }
  }

  private onFramingFault(fault: FramingFault, peer: Hl7Peer): void {
    const code = fault.kind === 'frame-too-large' ? 'GW_ERR_HL7_FRAME_TOO_LARGE' : 'GW_ERR_HL7_FRAMING';
    const { kind } = fault;
    const size = fault.kind === 'garbage' ? fault.byteCount : 'frameBytes' in fault ? fault.frameBytes : undefined;
    this.deps.log.warn('hl7 framing fault', { code, kind, bytes: size, connectionId: peer.connectionId, peerAddress: peer.address });
    this.emitSafely('frame-error', { connectionId: peer.connectionId, peerAddress: peer.address, code, fault });
  }

  private emitSafely<K extends keyof MllpServerEvents>(event: K, ...args: MllpServerEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: MllpServerEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.deps.log.error('hl7 event listener failed', { event, err: describeError(err) });
    }
  }
}
