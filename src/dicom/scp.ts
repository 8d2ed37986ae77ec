/**
 * The DICOM listeners: a plain TCP server and/or a TLS one (both bound only to the configured host), sharing the
 * association cap, the allow-lists and graceful shutdown. Each connection, TLS or not, becomes an ScpAssociation:
 * the transport is chosen here and nowhere else.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import type { Logger } from '../log.js';
import { listenOn } from '../listen.js';
import { createScreenedTlsServer, readTlsFiles, serverSecureContext, serverTlsOptions, type TlsListenerConfig } from '../tls/index.js';
import { normalizeAddress, type AeTitle } from '../net/index.js';
import { AssociationPolicy } from './association-policy.js';
import { ScpAssociation, type AssociationSummary, type ScpEvent, type ScpTimeouts } from './scp-association.js';
import type { StoreHandler } from './store-handler.js';
import type { AllowedPeer } from '../config/index.js';

export interface ScpOptions extends ScpTimeouts {
  aeTitle: AeTitle;
  host: string;
  port: number;
  allowedPeers: ReadonlyArray<AllowedPeer>;
  maxAssociations: number;
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
  /** Associations accepted/rejected and C-STORE answers, as they happen (metrics). */
  onEvent?: (event: ScpEvent) => void;
}

export class DicomScp {
  private server: Server | undefined;
  private tlsServer: TlsServer | undefined;
  private readonly associations = new Set<ScpAssociation>();
  private readonly policy: AssociationPolicy;
  private stopping = false;

  constructor(
    private readonly options: ScpOptions,
    private readonly deps: ScpDeps,
  ) {
    this.policy = new AssociationPolicy(options.aeTitle, options.allowedPeers);
  }

  /** Starts the plain listener on `port`; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    this.server = createServer({ noDelay: true }, (socket) => this.onConnection(socket));
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
        admit: (raw) => {
          if (this.policy.addressAllowed(raw.remoteAddress ?? '')) return true;
          this.deps.log.warn('association refused before TLS', { peer: normalizeAddress(raw.remoteAddress ?? ''), reason: 'address not in dicom.allowedPeers' });
          raw.destroy();
          return false;
        },
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
  }

  private onConnection(socket: Socket): void {
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
          openAssociations: this.associations.size,
          maxAssociations: this.options.maxAssociations,
          ...(refusing === undefined ? {} : { refusing }),
        };
      },
    });
    this.associations.add(association);
    void association.closed.then((summary) => {
      this.associations.delete(association);
      this.deps.onAssociationEnded?.(summary);
    });
  }
}
