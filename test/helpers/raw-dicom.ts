/**
 * A DICOM peer on a raw socket, for socket tests that craft what a real SCU never sends: any source address on
 * 127.0.0.0/8 (Linux routes all of it to loopback), any presentation contexts, PDUs written byte by byte.
 */
import { connect, type Socket } from 'node:net';
import { CommandField, NO_DATASET, decodeCommand, encodeCommand, type DimseCommand } from '../../src/dicom/dimse-command.js';
import { PduType, decodePData, encodeAssociateRq, encodePData, encodeReleaseRq, type ProposedContext } from '../../src/dicom/pdu.js';
import { PduReader, type RawPdu } from '../../src/dicom/pdu-reader.js';

export const VERIFICATION = '1.2.840.10008.1.1';
export const IMPLICIT_LE = '1.2.840.10008.1.2';
export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const DEFLATED_LE = '1.2.840.10008.1.2.1.99';
export const CT_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

export class RawPeer {
  private readonly reader = new PduReader(1 << 22);
  readonly pdus: RawPdu[] = [];
  readonly bytes: Buffer[] = [];
  private waiters: Array<() => void> = [];
  /** Resolves with ms from connect to close. */
  readonly closed: Promise<number>;

  private constructor(
    readonly socket: Socket,
    connectedAt: number,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve(Date.now() - connectedAt)));
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      this.bytes.push(d);
      try {
        this.pdus.push(...this.reader.push(d));
      } catch {
        // what the SCP sent is checked by the test, not here
      }
      for (const w of this.waiters.splice(0)) w();
    });
    socket.once('close', () => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Connects from `localAddress` (default 127.0.0.1) to the SCP on 127.0.0.1. */
  static connect(port: number, localAddress = '127.0.0.1'): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, localAddress });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawPeer(socket, Date.now()));
      });
    });
  }

  /** Sends an A-ASSOCIATE-RQ and waits for the answer PDU (AC, RJ or A-ABORT); undefined if the SCP just closed. */
  async associate(contexts: ProposedContext[] = [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }], callingAeTitle = 'RAWPEER'): Promise<RawPdu | undefined> {
    this.socket.write(encodeAssociateRq({ calledAeTitle: 'AIGATEWAY', callingAeTitle, contexts, maxPduLength: 65536 }));
    return this.next();
  }

  /** The next PDU from the SCP; undefined once the connection has closed without one. */
  async next(): Promise<RawPdu | undefined> {
    while (this.pdus.length === 0) {
      if (this.socket.destroyed || this.socket.readableEnded) return undefined;
      await new Promise<void>((r) => this.waiters.push(r));
    }
    return this.pdus.shift();
  }

  /** Sends a command (and dataset) on `contextId` and reads the response command. */
  async request(contextId: number, command: DimseCommand, dataset?: Buffer): Promise<DimseCommand> {
    for (const p of encodePData(contextId, true, encodeCommand(command), 65536)) this.socket.write(p);
    if (dataset !== undefined) for (const p of encodePData(contextId, false, dataset, 65536)) this.socket.write(p);
    const rsp = await this.next();
    if (rsp?.type !== PduType.PData) throw new Error(`expected a P-DATA-TF response, got ${rsp === undefined ? 'a close' : `PDU type ${rsp.type}`}`);
    return decodeCommand(Buffer.concat(decodePData(rsp.body).map((p) => p.data)));
  }

  /** C-ECHO on `contextId`; resolves with the response status. */
  async echo(contextId = 1, messageId = 7): Promise<number | undefined> {
    const rsp = await this.request(contextId, { commandField: CommandField.CEchoRq, messageId, affectedSopClassUid: VERIFICATION, dataSetType: NO_DATASET });
    return rsp.status;
  }

  async release(): Promise<void> {
    this.socket.write(encodeReleaseRq());
    await this.closed;
  }
}

/** The ms until `promise` settles, or a failure naming `what` after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** One P-DATA-TF PDU holding one PDV with the given flags (encodePData marks its final fragment last). */
export function pdataPdu(contextId: number, data: Buffer, flags: { command: boolean; last: boolean }): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt8(PduType.PData, 0);
  header.writeUInt32BE(6 + data.length, 2);
  header.writeUInt32BE(2 + data.length, 6);
  header.writeUInt8(contextId, 10);
  header.writeUInt8((flags.command ? 0x01 : 0) | (flags.last ? 0x02 : 0), 11);
  return Buffer.concat([header, data]);
}

/** A C-STORE-RQ command (a CT image, one dataset following) for the DIMSE command and assembler tests. */
export const STORE_RQ: DimseCommand = {
  commandField: CommandField.CStoreRq,
  messageId: 7,
  affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  affectedSopInstanceUid: '1.2.3.4.5',
  priority: 0,
  dataSetType: 0x0000,
};
