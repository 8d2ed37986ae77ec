/**
 * One TLS connection to the audit collector (RFC 5425). `send` resolves once the frame has been written to the
 * socket and flushed to the kernel (the write callback): RFC 5425 has no acknowledgement, so that is as far as
 * a sender can know. A collector that closes its side, or a socket error, drops the connection; the next send
 * connects again. Frames are sent one after another on the one socket.
 */
import { connect, type TLSSocket } from 'node:tls';
import { GatewayError, describeError } from '../errors.js';
import { clientTlsOptions, readTlsFiles, type TlsClientConfig } from '../tls/index.js';

export interface CollectorAddress {
  host: string;
  port: number;
  tls: TlsClientConfig;
  /** Connect and handshake within this long. */
  connectTimeoutMs: number;
}

export class SyslogTlsClient {
  private socket: TLSSocket | undefined;
  private connecting: Promise<TLSSocket> | undefined;
  private closed = false;

  constructor(
    private readonly address: CollectorAddress,
    private readonly onConnectionChange: (connected: boolean, reason?: string) => void,
  ) {}

  get connected(): boolean {
    return this.socket !== undefined;
  }

  /** Writes one frame; rejects (GW_ERR_AUDIT_COLLECTOR) when the collector cannot be reached or the write fails. */
  async send(frame: Buffer): Promise<void> {
    const socket = this.socket ?? (await this.connect());
    await new Promise<void>((resolve, reject) => {
      if (socket.destroyed || !socket.writable) {
        reject(new GatewayError('GW_ERR_AUDIT_COLLECTOR', 'the collector connection closed before the write'));
        return;
      }
      socket.write(frame, (err) => (err == null ? resolve() : reject(new GatewayError('GW_ERR_AUDIT_COLLECTOR', `write to the collector failed: ${err.message}`, { cause: err }))));
    });
  }

  /** Closes the connection (TLS close_notify, then FIN); later sends reject. */
  close(): Promise<void> {
    this.closed = true;
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), 2_000).unref();
    });
  }

  private connect(): Promise<TLSSocket> {
    if (this.closed) return Promise.reject(new GatewayError('GW_ERR_AUDIT_COLLECTOR', 'the audit trail is stopping'));
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private open(): Promise<TLSSocket> {
    const { host, port, tls, connectTimeoutMs } = this.address;
    // Certificate files are read at each connect: renewed files are used without a restart.
    const material = readTlsFiles(tls, 'audit.collector.tls');
    return new Promise<TLSSocket>((resolve, reject) => {
      const socket = connect(clientTlsOptions(material, host, port, tls));
      const timer = setTimeout(() => socket.destroy(new Error(`no TLS connection within ${connectTimeoutMs} ms`)), connectTimeoutMs);
      const failed = (err: Error): void => {
        clearTimeout(timer);
        reject(new GatewayError('GW_ERR_AUDIT_COLLECTOR', `cannot reach the audit collector ${host}:${port}: ${describeError(err)}`, { cause: err, context: { host, port } }));
      };
      socket.once('error', failed);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.off('error', failed);
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 30_000);
        const drop = (reason: string): void => {
          if (this.socket !== socket) return;
          this.socket = undefined;
          socket.destroy();
          this.onConnectionChange(false, reason);
        };
        socket.on('error', (err) => drop(describeError(err)));
        // The collector closed its side (a restart): anything written now would be lost, so reconnect first.
        socket.on('end', () => drop('the collector closed the connection'));
        socket.on('close', () => drop('connection closed'));
        // A collector sends nothing on RFC 5425; whatever it does send is read and ignored.
        socket.on('data', () => {});
        this.socket = socket;
        this.onConnectionChange(true);
        resolve(socket);
      });
    });
  }
}
