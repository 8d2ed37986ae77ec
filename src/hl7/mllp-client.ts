/**
 * Sends one HL7 message over MLLP and waits for its ACK, checking MSA-2 against our MSH-10. Every outcome is a
 * typed result; retrying is the outbox's job. One message at a time per client; the connection is reused.
 */
import { connect, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { describeError, errnoCode } from '../errors.js';
import type { Logger } from '../log.js';
import { clientTlsOptions, describeTlsFailure, isTlsFailure, readTlsFiles, tlsPeerIdentity, type TlsClientConfig } from '../tls/index.js';
import { type AckCode, type ReceivedAck, readAck } from './ack.js';
import { encodeHl7Text, resolveCharset } from './charset.js';
import { readMessageBytes } from './inbound.js';
import { parseHl7Message } from './message.js';
import { MLLP_END, MLLP_START, MllpDecoder, encodeMllpFrame } from './mllp-framing.js';
import type { Hl7ErrorCode } from './problems.js';

export interface MllpClientOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  /** How long to wait for the ACK after the message is written. */
  ackTimeoutMs: number;
  /** Largest ACK accepted (default 1 MiB). */
  maxAckBytes?: number;
  /** Keep the connection open between sends (default true). */
  keepAlive?: boolean;
  /** MLLP over TLS: CA / client certificate files (read at each connect), servername, verification. Absent: plain TCP. */
  tls?: TlsClientConfig | undefined;
}

/** Facts about one send, for logs and the outbox's last_error. No patient data. */
export interface MllpSendDetail {
  /** MSH-10 of the message sent ('' when it had none). */
  controlId: string;
  message: string;
  /** Our error code, for every kind but 'accepted'. */
  code?: Hl7ErrorCode | 'GW_ERR_HL7_PEER_ERROR' | 'GW_ERR_HL7_PEER_REJECT';
  ack?: ReceivedAck;
  elapsedMs: number;
}

/** AA/CA → accepted; AE/CE → application-error (retry); AR/CR → application-reject (dead letter). */
export type MllpSendKind = 'accepted' | 'application-error' | 'application-reject' | 'timeout' | 'connection-failed' | 'protocol-error';

export interface MllpSendResult {
  kind: MllpSendKind;
  detail: MllpSendDetail;
}

interface Link {
  socket: Socket;
  decoder: MllpDecoder;
  /** The socket's last error, to say why it closed (a TLS 1.3 peer refuses a client certificate after connect). */
  error?: Error & { code?: string };
  waiter?: (event: LinkEvent) => void;
}

type LinkEvent = { kind: 'frame'; payload: Buffer } | { kind: 'closed'; message: string; partial: boolean } | { kind: 'too-large' };

export class MllpClient {
  private link: Link | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly options: MllpClientOptions,
    private readonly deps: { log: Logger },
  ) {}

  /** Sends a message (text, encoded per its MSH-18, UTF-8 by default; or bytes as they are) and awaits its ACK. */
  send(message: string | Buffer): Promise<MllpSendResult> {
    const result = this.queue.then(() => this.sendNow(message));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Closes the connection (after the send in progress, if any). */
  async close(): Promise<void> {
    await this.queue;
    this.drop();
  }

  private async sendNow(message: string | Buffer): Promise<MllpSendResult> {
    const started = Date.now();
    const prepared = prepare(message);
    const result = (kind: MllpSendKind, rest: Omit<MllpSendDetail, 'controlId' | 'elapsedMs'>): MllpSendResult => ({
      kind,
      detail: { controlId: prepared.controlId, elapsedMs: Date.now() - started, ...rest },
    });
    if (prepared.bytes === undefined) return result('protocol-error', { code: prepared.code, message: prepared.problem });

    let event: LinkEvent | 'timeout' | undefined;
    for (let attempt = 1; event === undefined; attempt++) {
      let link: Link;
      let reused: boolean;
      try {
        if (this.link !== undefined && !this.link.socket.writable) this.drop();
        reused = this.link !== undefined;
        link = this.link ?? (await this.open());
      } catch (err) {
        const errno = errnoCode(err);
        const where = `${this.options.host}:${this.options.port}`;
        if (this.options.tls !== undefined && (errno === undefined || isTlsFailure(errno) || errno === 'ECONNRESET' || errno === 'GW_ERR_TLS_FILES')) {
          const why = errno === 'GW_ERR_TLS_FILES' || errno === undefined ? describeError(err) : describeTlsFailure(err as Error & { code?: string });
          return result('connection-failed', { code: 'GW_ERR_HL7_CONNECTION_FAILED', message: `TLS with ${where} failed: ${why}` });
        }
        return result('connection-failed', { code: 'GW_ERR_HL7_CONNECTION_FAILED', message: `cannot connect to ${where}${errno === undefined ? '' : ` (${errno})`}` });
      }
      const e = await this.exchange(link, prepared.bytes);
      // A kept connection that the peer closed after its last ACK fails on first use, before any reply byte: the
      // message goes once more on a fresh connection. The peer may have read it before closing, so it can arrive
      // twice; receivers dedupe on MSH-10 (set keepAlive false for peers that close after every ACK).
      // Every other failure is the outbox's to retry.
      if (e !== 'timeout' && e.kind === 'closed' && reused && !e.partial && attempt === 1) this.drop();
      else event = e;
    }

    const outcome = this.judge(event, prepared.controlId, result);
    // After any failure the stream's state is unknown (a late ACK could be taken for the next message's): start afresh.
    if (outcome.kind !== 'accepted' && outcome.kind !== 'application-error' && outcome.kind !== 'application-reject') this.drop();
    else if (this.options.keepAlive === false) this.drop();
    return outcome;
  }

  private exchange(link: Link, bytes: Buffer): Promise<LinkEvent | 'timeout'> {
    const reply = new Promise<LinkEvent | 'timeout'>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), this.options.ackTimeoutMs);
      link.waiter = (event) => {
        clearTimeout(timer);
        link.waiter = undefined;
        resolve(event);
      };
    });
    link.socket.write(encodeMllpFrame(bytes));
    return reply;
  }

  private judge(event: LinkEvent | 'timeout', controlId: string, result: (kind: MllpSendKind, rest: Omit<MllpSendDetail, 'controlId' | 'elapsedMs'>) => MllpSendResult): MllpSendResult {
    if (event === 'timeout') return result('timeout', { code: 'GW_ERR_HL7_ACK_TIMEOUT', message: `no ACK within ${this.options.ackTimeoutMs} ms` });
    if (event.kind === 'closed') return result('connection-failed', { code: 'GW_ERR_HL7_CONNECTION_FAILED', message: `connection closed before the ACK: ${event.message}` });
    if (event.kind === 'too-large') return result('protocol-error', { code: 'GW_ERR_HL7_ACK_INVALID', message: 'the reply frame is larger than maxAckBytes' });
    const item = readMessageBytes(event.payload);
    const ack = item.kind === 'message' ? readAck(item.message) : undefined;
    if (ack === undefined) {
      const why = item.kind === 'invalid' ? item.problem.detail : 'it has no MSA segment with an acknowledgment code';
      return result('protocol-error', { code: 'GW_ERR_HL7_ACK_INVALID', message: `the reply is not an ACK: ${why}` });
    }
    if (ack.acknowledgedControlId !== controlId) {
      return result('protocol-error', { code: 'GW_ERR_HL7_ACK_MISMATCH', message: `MSA-2 "${ack.acknowledgedControlId}" does not match MSH-10 "${controlId}"`, ack });
    }
    const [kind, code] = classify(ack.code);
    const text = ack.text === '' ? ack.code : `${ack.code}: ${ack.text}`;
    return result(kind, { message: text, ack, ...(code === undefined ? {} : { code }) });
  }

  private open(): Promise<Link> {
    return new Promise((resolve, reject) => {
      const { host, port, tls } = this.options;
      // The one place the transport is chosen; a TLS link is ready at 'secureConnect' (handshake done, peer verified).
      const socket = tls === undefined ? connect({ host, port, noDelay: true }) : connectTls(clientTlsOptions(readTlsFiles(tls, 'tls'), host, port, tls));
      socket.setNoDelay(true);
      const ms = this.options.connectTimeoutMs;
      const late = tls === undefined ? `connect timed out after ${ms} ms` : `no TLS handshake within ${ms} ms (does the peer speak TLS on this port?)`;
      const timer = setTimeout(() => socket.destroy(new Error(late)), ms);
      const link: Link = { socket, decoder: new MllpDecoder({ maxMessageBytes: this.options.maxAckBytes ?? 1024 * 1024 }) };
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        if (tls !== undefined) this.deps.log.debug('hl7 TLS peer', { peer: `${host}:${port}`, subject: tlsPeerIdentity(socket as TLSSocket).subject });
        socket.removeAllListeners('error');
        socket.on('error', (err) => {
          link.error = err;
          this.deps.log.debug('hl7 client socket error', { peer: `${this.options.host}:${this.options.port}`, err: err.message });
        });
        socket.on('data', (chunk: Buffer) => this.onData(link, chunk));
        // A peer that half-closes will not read another message: forget the link now, not at the next send.
        socket.on('end', () => {
          if (this.link === link) this.link = undefined;
          socket.end();
        });
        socket.on('close', () => {
          if (this.link === link) this.link = undefined;
          const err = link.error;
          const closed = tls === undefined ? 'the peer closed the connection' : 'the peer closed the TLS connection (if at once, it may not accept our client certificate: see its log)';
          const message = err === undefined ? closed : isTlsFailure(err.code) ? `TLS: ${describeTlsFailure(err)}` : `the connection failed: ${err.code ?? err.message}`;
          link.waiter?.({ kind: 'closed', message, partial: link.decoder.midFrame });
        });
        this.link = link;
        resolve(link);
      });
    });
  }

  private onData(link: Link, chunk: Buffer): void {
    for (const e of link.decoder.push(chunk)) {
      if (e.kind === 'frame' || e.kind === 'frame-too-large') {
        if (link.waiter === undefined) {
          // An ACK nobody waits for (a late one, or the peer's own idea): the stream can no longer be trusted.
          this.deps.log.warn('hl7 unexpected frame from peer, reconnecting', { peer: `${this.options.host}:${this.options.port}` });
          link.socket.destroy();
          return;
        }
        link.waiter(e.kind === 'frame' ? e : { kind: 'too-large' });
      } else {
        this.deps.log.debug('hl7 framing fault in reply', { kind: e.kind, peer: `${this.options.host}:${this.options.port}` });
      }
    }
  }

  private drop(): void {
    this.link?.socket.destroy();
    this.link = undefined;
  }
}

function classify(code: AckCode): [MllpSendKind, MllpSendDetail['code']] {
  if (code === 'AA' || code === 'CA') return ['accepted', undefined];
  if (code === 'AE' || code === 'CE') return ['application-error', 'GW_ERR_HL7_PEER_ERROR'];
  return ['application-reject', 'GW_ERR_HL7_PEER_REJECT'];
}

type Prepared = { controlId: string; bytes: Buffer } | { controlId: string; bytes?: undefined; code: Hl7ErrorCode; problem: string };

/** Finds MSH-10 and the bytes to send: text is encoded in the charset its MSH-18 names. */
function prepare(message: string | Buffer): Prepared {
  const prepared = encodeOutbound(message);
  if (prepared.bytes !== undefined && (prepared.bytes.includes(MLLP_START) || prepared.bytes.includes(MLLP_END))) {
    // Escaping writes these as \X0B\ / \X1C\; raw ones would end the frame early at the receiver.
    return { controlId: prepared.controlId, code: 'GW_ERR_HL7_MALFORMED', problem: 'the message contains MLLP framing bytes (VT or FS)' };
  }
  return prepared;
}

function encodeOutbound(message: string | Buffer): Prepared {
  if (Buffer.isBuffer(message)) {
    const item = readMessageBytes(message);
    if (item.kind === 'invalid') return { controlId: '', code: item.problem.code, problem: `the message to send is invalid: ${item.problem.detail}` };
    return { controlId: item.message.controlId, bytes: message };
  }
  const parsed = parseHl7Message(message);
  if (!parsed.ok) return { controlId: '', code: parsed.problem.code, problem: `the message to send is invalid: ${parsed.problem.detail}` };
  const msg = parsed.message;
  const declared = resolveCharset(msg.segment('MSH')?.repetitions(18) ?? []);
  const encoding = declared.kind === 'known' ? declared.encoding : 'utf-8';
  const bytes = declared.kind === 'unsupported' ? undefined : encodeHl7Text(message, encoding);
  if (bytes === undefined) return { controlId: msg.controlId, code: 'GW_ERR_HL7_UNENCODABLE', problem: `the message cannot be encoded in its MSH-18 character set; send UNICODE UTF-8` };
  return { controlId: msg.controlId, bytes };
}
