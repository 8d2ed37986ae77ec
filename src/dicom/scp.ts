/**
 * The DICOM listeners: a plain TCP server and/or a TLS one (both bound only to the configured host), sharing the
 * association cap, the allow-lists and graceful shutdown. Each connection, TLS or not, becomes an ScpAssociation:
 * the transport is chosen here and nowhere else.
 *
 * Slots: an address not in dicom.allowedPeers is closed at accept (before TLS, before any PDU) and takes none. An
 * allowed address takes a slot per connection up to dicom.maxAssociationsPerPeer; as many connections again are
 * kept only to be answered A-ASSOCIATE-RJ (local limit exceeded), without a slot; beyond that they are closed at
 * accept. So neither a stranger nor one broken peer can hold every slot. Refusals at accept are logged through a
 * RefusalLog: a few lines per address a minute, then one line with the count, so a flood cannot fill the log.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import type { Logger } from '../log.js';
import { listenOn } from '../listen.js';
import { createScreenedTlsServer, readTlsFiles, serverSecureContext, serverTlsOptions, type TlsListenerConfig } from '../tls/index.js';
import { normalizeAddress, type AeTitle } from '../net/index.js';
import { AssociationPolicy } from './association-policy.js';
import { RefusalLog } from './refusal-log.js';
import { ScpAssociation, type AssociationSummary, type ScpEvent, type ScpTimeouts } from './scp-association.js';
import type { StoreHandler } from './store-handler.js';
import type { AllowedPeer } from '../config/index.js';

export interface ScpOptions extends ScpTimeouts {
  aeTitle: AeTitle;
  host: string;
  port: number;
  allowedPeers: ReadonlyArray<AllowedPeer>;
  maxAssociations: number;
  /** Slots one source address may hold (at most maxAssociations). */
  maxAssociationsPerPeer: number;
  maxPduBytes: number;
  shutdownTimeoutMs: number;
  /** The TLS listener (`dicom.tls`); its files are read by listenTls(). */
  tls?: TlsListenerConfig | undefined;
}

export interface ScpDeps {
  handler: StoreHandler;
  log: Logger;
  /** Why new associations are refused right now (e.g. disk below watermark); undefined when open. */
  refusing?: () => string | undefined;
  onAssociationEnded?: (summary: AssociationSummary) => void;
  /** Associations accepted/rejected, connections refused at accept and C-STORE answers, as they happen (metrics, audit). */
  onEvent?: (event: ScpEvent) => void;
}

export class DicomScp {
  private server: Server | undefined;
  private tlsServer: TlsServer | undefined;
  private readonly associations = new Set<ScpAssociation>();
  /** Per source address: connections holding a slot, and connections past its share (answered A-ASSOCIATE-RJ). */
  private readonly peers = new Map<string, { slotted: number; over: number }>();
  /** Connections holding a slot, all addresses together (what dicom.maxAssociations caps). */
  private slotted = 0;
  private readonly policy: AssociationPolicy;
  private readonly refusals: RefusalLog;
  private stopping = false;

  constructor(
    private readonly options: ScpOptions,
    private readonly deps: ScpDeps,
  ) {
    this.policy = new AssociationPolicy(options.aeTitle, options.allowedPeers);
    this.refusals = new RefusalLog(deps.log);
  }

  /** Starts the plain listener on `port`; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    this.server = createServer({ noDelay: true }, (socket) => {
      if (this.screen(socket, 'association refused at connect')) this.onConnection(socket);
    });
    return this.bind(this.server, this.options.port);
  }

  /**
   * Starts the TLS listener on `tls.port`: reads the certificate files (GW_ERR_TLS_FILES if they are bad) and
   * resolves with the bound port. A handshake that fails (a plain client, a missing or untrusted client
   * certificate) is one warning line; nothing reaches the association code until the handshake is done.
   */
  listenTls(): Promise<number> {
    const tls = this.options.tls;
    if (tls === undefined) throw new RangeError('listenTls() without tls options');
    const material = readTlsFiles(tls, 'dicom.tls');
    // The handshake counts against ARTIM: a peer gets that long from connect to a complete A-ASSOCIATE-RQ.
    const server = createScreenedTlsServer(
      serverTlsOptions(material, { requireClientCert: tls.requireClientCert, handshakeTimeoutMs: this.options.artimTimeoutMs }),
      (socket) => this.onConnection(socket),
      {
        // Refuse unknown addresses before spending a handshake on them.
        admit: (raw) => this.screen(raw, 'association refused before TLS'),
        handshakeFailed: ({ peerAddress, reason }) =>
          this.deps.log.warn('TLS handshake failed', { code: 'GW_ERR_TLS_HANDSHAKE', peer: normalizeAddress(peerAddress), reason }),
      },
    );
    this.tlsServer = server;
    return this.bind(server, tls.port);
  }

  /**
   * Re-reads the TLS files and uses them for new connections (SIGHUP after a certificate renewal); open
   * associations keep theirs. Throws GW_ERR_TLS_FILES, keeping the old certificate, when the new files are bad.
   */
  reloadTls(): void {
    const tls = this.options.tls;
    if (tls === undefined || this.tlsServer === undefined) return;
    this.tlsServer.setSecureContext(serverSecureContext(readTlsFiles(tls, 'dicom.tls')));
  }

  /**
   * The address check at accept, for both listeners: a connection from an address no dicom.allowedPeers entry
   * names is closed at once (a warning line, bounded per address) and never takes an association slot.
   */
  private screen(raw: Socket, message: string): boolean {
    if (this.policy.addressAllowed(raw.remoteAddress ?? '')) return true;
    const peer = normalizeAddress(raw.remoteAddress ?? '');
    this.refusals.refused(message, { code: 'GW_ERR_DICOM_PEER_NOT_ALLOWED', peer, reason: 'address not in dicom.allowedPeers' });
    raw.destroy();
    this.raise({ type: 'connection-refused', peerAddress: peer, reason: 'address not in dicom.allowedPeers' });
    return false;
  }

  /** An event of the server itself (the associations raise theirs): a listener that throws is logged, never fatal. */
  private raise(event: ScpEvent): void {
    try {
      this.deps.onEvent?.(event);
    } catch (err) {
      this.deps.log.error('scp event listener failed', { event: event.type, err: err instanceof Error ? err.message : String(err) });
    }
  }

  private bind(server: Server, port: number): Promise<number> {
    // Hard cap well above maxAssociations: between the two, peers get a proper A-ASSOCIATE-RJ; beyond it, a reset.
    server.maxConnections = this.options.maxAssociations * 2 + 4;
    return listenOn(server, { host: this.options.host, port }, this.deps.log, 'dicom');
  }


  get openAssociations(): number {
    return this.associations.size;
  }

  /** Stops accepting, lets open associations finish for up to shutdownTimeoutMs, then aborts the rest. */
  async close(): Promise<void> {
    this.stopping = true;
    const servers = [this.server, this.tlsServer].filter((s): s is Server => s?.listening === true);
    const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    const pending = [...this.associations].map((a) => a.closed);
    if (pending.length > 0) {
      this.deps.log.info('waiting for open associations', { open: pending.length, timeoutMs: this.options.shutdownTimeoutMs });
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), this.options.shutdownTimeoutMs).unref());
      if ((await Promise.race([Promise.all(pending), timer])) === 'timeout') {
        for (const a of this.associations) a.abort('daemon shutting down');
        await Promise.all(pending);
      }
    }
    await closed;
    this.refusals.close();
  }

  private onConnection(socket: Socket): void {
    const peer = normalizeAddress(socket.remoteAddress ?? '');
    const perPeer = Math.min(this.options.maxAssociationsPerPeer, this.options.maxAssociations);
    const held = this.peers.get(peer) ?? { slotted: 0, over: 0 };
    const kind = held.slotted < perPeer ? 'slotted' : held.over < perPeer ? 'over' : undefined;
    if (kind === undefined) {
      const reason = `${2 * perPeer} connections from this address are open (dicom.maxAssociationsPerPeer = ${perPeer})`;
      this.refusals.refused('association refused at connect', { code: 'GW_ERR_DICOM_PEER_LIMIT', peer, reason });
      socket.destroy();
      this.raise({ type: 'connection-refused', peerAddress: peer, reason });
      return;
    }
    held[kind] += 1;
    this.peers.set(peer, held);
    if (kind === 'slotted') this.slotted += 1;
    const association = new ScpAssociation(socket, {
      aeTitle: this.options.aeTitle,
      maxPduBytes: this.options.maxPduBytes,
      timeouts: this.options,
      policy: this.policy,
      handler: this.deps.handler,
      log: this.deps.log,
      onEvent: this.deps.onEvent,
      admission: () => {
        const refusing = this.stopping ? 'the gateway is shutting down' : this.deps.refusing?.();
        return {
          openAssociations: this.slotted,
          maxAssociations: this.options.maxAssociations,
          ...(kind === 'over' ? { overPeerLimit: { peer, maxAssociationsPerPeer: perPeer } } : {}),
          ...(refusing === undefined ? {} : { refusing }),
        };
      },
    });
    this.associations.add(association);
    void association.closed.then((summary) => {
      this.associations.delete(association);
      held[kind] -= 1;
      if (held.slotted + held.over === 0) this.peers.delete(peer);
      if (kind === 'slotted') this.slotted -= 1;
      this.deps.onAssociationEnded?.(summary);
    });
  }
}
