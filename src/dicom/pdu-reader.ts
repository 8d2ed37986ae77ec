/**
 * Cuts a TCP byte stream into whole PDUs, refusing any PDU longer than the limit before buffering it.
 * Memory per connection is bounded by the limit; a 4 GiB length claim costs nothing.
 */
import { GatewayError } from '../errors.js';

export interface RawPdu {
  type: number;
  body: Buffer;
}

const HEADER_BYTES = 6;

export class PduReader {
  private header = Buffer.alloc(HEADER_BYTES);
  private headerFill = 0;
  private bodyChunks: Buffer[] = [];
  private bodyFill = 0;
  private bodyLength = -1;
  private pduType = 0;

  /** @param maxBodyBytes largest PDU body accepted (our advertised max PDU for P-DATA, bounded for the rest). */
  constructor(private maxBodyBytes: number) {}

  setLimit(maxBodyBytes: number): void {
    this.maxBodyBytes = maxBodyBytes;
  }

  /** True while a PDU has started but not yet fully arrived (the PDU deadline runs). */
  get midPdu(): boolean {
    return this.headerFill > 0 || this.bodyLength >= 0;
  }

  /** Feeds bytes; returns the PDUs completed by them. Throws GW_ERR_PDU_TOO_LARGE / GW_ERR_PDU_MALFORMED. */
  push(chunk: Buffer): RawPdu[] {
    const out: RawPdu[] = [];
    let off = 0;
    while (off < chunk.length) {
      if (this.bodyLength < 0) {
        const take = Math.min(HEADER_BYTES - this.headerFill, chunk.length - off);
        chunk.copy(this.header, this.headerFill, off, off + take);
        this.headerFill += take;
        off += take;
        if (this.headerFill < HEADER_BYTES) break;
        this.startBody();
        if (this.bodyLength === 0) out.push(this.finishPdu());
        continue;
      }
      const take = Math.min(this.bodyLength - this.bodyFill, chunk.length - off);
      this.bodyChunks.push(chunk.subarray(off, off + take));
      this.bodyFill += take;
      off += take;
      if (this.bodyFill === this.bodyLength) out.push(this.finishPdu());
    }
    return out;
  }

  private startBody(): void {
    const type = this.header.readUInt8(0);
    const length = this.header.readUInt32BE(2);
    if (type < 0x01 || type > 0x07) {
      throw new GatewayError('GW_ERR_PDU_MALFORMED', `unknown PDU type 0x${type.toString(16)}`, { context: { pduType: type } });
    }
    if (length > this.maxBodyBytes) {
      throw new GatewayError(
        'GW_ERR_PDU_TOO_LARGE',
        `PDU of ${length} bytes exceeds the limit of ${this.maxBodyBytes} bytes`,
        { context: { pduType: type, pduBytes: length, maxPduBytes: this.maxBodyBytes } },
      );
    }
    this.pduType = type;
    this.bodyLength = length;
    this.bodyFill = 0;
    this.bodyChunks = [];
  }

  private finishPdu(): RawPdu {
    const body = this.bodyChunks.length === 1 ? (this.bodyChunks[0] as Buffer) : Buffer.concat(this.bodyChunks, this.bodyLength);
    const pdu = { type: this.pduType, body };
    this.headerFill = 0;
    this.bodyLength = -1;
    this.bodyFill = 0;
    this.bodyChunks = [];
    return pdu;
  }
}
