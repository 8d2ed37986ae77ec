/**
 * The MLLP listener: binds only the configured host, admits peers on the allow-list up to a connection cap, hands
 * each message to the injected handler and writes the ACK it decides, and shuts down gracefully. Never imports db.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, type Server as TlsServer } from 'node:tls';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { listenOn } from '../listen.js';
import { AddressAllowList, normalizeAddress } from '../net/index.js';
import { createScreenedTlsServer, identityMatches, readTlsFiles, serverSecureContext, serverTlsOptions, tlsPeerIdentity, type TlsListenerConfig } from '../tls/index.js';
import { type ControlIdGenerator, createControlIdGenerator } from './control-id.js';
import { type ExchangeDeps, type FrameAnswer, type Hl7MessageHandler, type Hl7Peer, type MessageOutcome, answerFrame, answerOversize } from './exchange.js';
import { MllpConnection, type ConnectionSummary, type FramingFault, type QueuedFrame } from './mllp-connection.js';
import { DEFAULT_HL7_LIMITS, type Hl7Limits } from './message.js';
import type { Hl7ErrorCode } from './problems.js';

/** Listener settings (config `hl7.*`). */
/** Framing faults logged one by one per connection; later ones are counted in the connection's closing line. */
const LOGGED_FRAMING_FAULTS = 5;

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
  /** MLLP over TLS (`hl7.tls`): started by listenTls(), beside or instead of the plain listener. */
  tls?: MllpTlsOptions | undefined;
  /** Segments, fields and repetitions per message (`hl7.limits`); default DEFAULT_HL7_LIMITS. Over one: AR 207. */
  limits?: Readonly<Hl7Limits> | undefined;
}

/** The TLS listener: certificate files, client certificates, and which client names are admitted. */
export interface MllpTlsOptions extends TlsListenerConfig {
  /** Client certificate names (CN or subjectAltName) admitted; empty: any client the handshake accepted. */
  allowedClientNames: readonly string[];
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
  code: Extract<Hl7ErrorCode, 'GW_ERR_HL7_PEER_NOT_ALLOWED' | 'GW_ERR_HL7_TOO_MANY_CONNECTIONS'> | 'GW_ERR_SHUTTING_DOWN' | 'GW_ERR_TLS_HANDSHAKE';
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
  private server: Server | undefined;
  private tlsServer: TlsServer | undefined;
  private readonly allowList: AddressAllowList;
  private readonly connections = new Set<MllpConnection>();
  private readonly exchange: ExchangeDeps;
  private stopping = false;

  constructor(
    private readonly options: MllpServerOptions,
    private readonly deps: MllpServerDeps,
  ) {
    super();
    this.allowList = new AddressAllowList(options.allowedHosts, 'hl7.allowedHosts');
    this.exchange = { handler: deps.handler, limits: options.limits ?? DEFAULT_HL7_LIMITS, log: deps.log, clock: deps.clock ?? (() => new Date()), controlIds: deps.controlIds ?? createControlIdGenerator() };
  }

  /** Starts the plain listener on `port`; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    this.server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => this.onConnection(socket));
    return this.bind(this.server, this.options.port);
  }

  /**
   * Starts the TLS listener on `tls.port` (certificate files read now: GW_ERR_TLS_FILES if bad). A failed handshake
   * (a plain MLLP client, a missing or untrusted client certificate) is one warning line; the listener keeps serving.
   */
  listenTls(): Promise<number> {
    const tls = this.options.tls;
    if (tls === undefined) throw new RangeError('listenTls() without tls options');
    const material = readTlsFiles(tls, 'hl7.tls');
    const server = createScreenedTlsServer(
      { ...serverTlsOptions(material, { requireClientCert: tls.requireClientCert, handshakeTimeoutMs: Math.min(this.options.idleTimeoutMs, 30_000) }), allowHalfOpen: true },
      (socket) => this.onConnection(socket),
      {
        // Refuse unknown addresses before spending a handshake on them.
        admit: (raw) => {
          const peerAddress = normalizeAddress(raw.remoteAddress ?? '');
          if (this.allowList.allows(peerAddress)) return true;
          this.refuse(raw, peerAddress, 'GW_ERR_HL7_PEER_NOT_ALLOWED');
          return false;
        },
        handshakeFailed: (failure) => {
          const peerAddress = normalizeAddress(failure.peerAddress);
          this.deps.log.warn('hl7 TLS handshake failed', { code: 'GW_ERR_TLS_HANDSHAKE', peerAddress, reason: failure.reason });
          this.emitSafely('connection-refused', { peerAddress, code: 'GW_ERR_TLS_HANDSHAKE' });
        },
      },
    );
    this.tlsServer = server;
    return this.bind(server, tls.port);
  }

  /** Re-reads the TLS files for new connections (SIGHUP); throws GW_ERR_TLS_FILES, keeping the old ones, when they are bad. */
  reloadTls(): void {
    const tls = this.options.tls;
    if (tls === undefined || this.tlsServer === undefined) return;
    this.tlsServer.setSecureContext(serverSecureContext(readTlsFiles(tls, 'hl7.tls')));
  }

  private bind(server: Server, port: number): Promise<number> {
    // Hard cap above maxConnections: between the two, peers are closed with a log line; beyond it, by the kernel.
    server.maxConnections = this.options.maxConnections * 2 + 4;
    return listenOn(server, { host: this.options.host, port }, this.deps.log, 'hl7');
  }


  get openConnections(): number {
    return this.connections.size;
  }

  /** Stops accepting, lets in-flight messages finish and be ACKed for up to shutdownTimeoutMs, then destroys the rest. */
  async close(): Promise<void> {
    this.stopping = true;
    const servers = [this.server, this.tlsServer].filter((s): s is Server => s?.listening === true);
    const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
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
    const peerAddress = normalizeAddress(socket.remoteAddress ?? '');
    const tlsPeer = socket instanceof TLSSocket ? tlsPeerIdentity(socket) : undefined;
    if (tlsPeer !== undefined) {
      this.deps.log.debug('hl7 TLS peer', { peerAddress, subject: tlsPeer.subject === '' ? '(no certificate)' : tlsPeer.subject, authorized: tlsPeer.authorized, authorizationError: tlsPeer.authorizationError, protocol: tlsPeer.protocol });
    }
    const names = this.options.tls?.allowedClientNames ?? [];
    const refusal = this.stopping
      ? 'GW_ERR_SHUTTING_DOWN'
      : !this.allowList.allows(peerAddress)
        ? 'GW_ERR_HL7_PEER_NOT_ALLOWED'
        : tlsPeer !== undefined && names.length > 0 && !names.some((n) => identityMatches(tlsPeer, n))
          ? 'GW_ERR_HL7_PEER_NOT_ALLOWED'
          : this.connections.size >= this.options.maxConnections
            ? 'GW_ERR_HL7_TOO_MANY_CONNECTIONS'
            : undefined;
    if (refusal !== undefined) {
      const certificate: Record<string, string> = tlsPeer === undefined ? {} : { clientCert: tlsPeer.subject === '' ? '(none)' : tlsPeer.subject, allowedClientNames: names.join(',') };
      this.refuse(socket, peerAddress, refusal, certificate);
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
      onFramingFault: (fault, peer, nth) => this.onFramingFault(fault, peer, nth),
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

  private refuse(socket: Socket, peerAddress: string, code: ConnectionRefused['code'], extra: Record<string, string> = {}): void {
    this.deps.log.warn('hl7 connection refused', { code, peerAddress, allowedHosts: this.options.allowedHosts.join(','), maxConnections: this.options.maxConnections, ...extra });
    socket.on('error', () => {});
    socket.destroy();
    this.emitSafely('connection-refused', { peerAddress, code });
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

  private onFramingFault(fault: FramingFault, peer: Hl7Peer, nth: number): void {
    const code = fault.kind === 'frame-too-large' ? 'GW_ERR_HL7_FRAME_TOO_LARGE' : 'GW_ERR_HL7_FRAMING';
    const { kind } = fault;
    const size = fault.kind === 'garbage' ? fault.byteCount : 'frameBytes' in fault ? fault.frameBytes : undefined;
    // A peer writing garbage a byte at a time would otherwise write one log line per byte: the first few say what is
    // wrong, the rest are counted in the 'hl7 connection closed' line (and each still reaches the metrics).
    if (nth <= LOGGED_FRAMING_FAULTS) this.deps.log.warn('hl7 framing fault', { code, kind, bytes: size, connectionId: peer.connectionId, peerAddress: peer.address });
    if (nth === LOGGED_FRAMING_FAULTS) this.deps.log.warn('hl7 framing faults: further ones on this connection are counted, not logged', { connectionId: peer.connectionId, peerAddress: peer.address });
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
