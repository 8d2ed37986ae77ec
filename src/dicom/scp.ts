/**
 * The DICOM listener: owns the TCP server (bound only to the configured host), the connection cap and
 * graceful shutdown. Each connection becomes an ScpAssociation.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../log.js';
import { AssociationPolicy } from './association-policy.js';
import { ScpAssociation, type AssociationSummary, type ScpEvent, type ScpTimeouts } from './scp-association.js';
import type { StoreHandler } from './store-handler.js';
import type { AllowedPeer } from '../config/index.js';

export interface ScpOptions extends ScpTimeouts {
  aeTitle: string;
  host: string;
  port: number;
  allowedPeers: ReadonlyArray<AllowedPeer>;
  maxAssociations: number;
  maxPduBytes: number;
  shutdownTimeoutMs: number;
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
  private readonly server: Server;
  private readonly associations = new Set<ScpAssociation>();
  private readonly policy: AssociationPolicy;
  private stopping = false;

  constructor(
    private readonly options: ScpOptions,
    private readonly deps: ScpDeps,
  ) {
    this.policy = new AssociationPolicy(options.aeTitle, options.allowedPeers);
    this.server = createServer({ noDelay: true }, (socket) => this.onConnection(socket));
    // Hard cap well above maxAssociations: between the two, peers get a proper A-ASSOCIATE-RJ; beyond it, a reset.
    this.server.maxConnections = options.maxAssociations * 2 + 4;
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.options.host, port: this.options.port }, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : this.options.port);
      });
    });
  }

  get openAssociations(): number {
    return this.associations.size;
  }

  /** Stops accepting, lets open associations finish for up to shutdownTimeoutMs, then aborts the rest. */
  async close(): Promise<void> {
    this.stopping = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
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
