/**
 * Crafted Explicit VR Little Endian datasets (PS3.5 §7.1.2) for malformed-input tests: elements with any declared
 * length, and Deflated streams whose inflated size is far larger than what goes on the wire.
 */
import { constants as zlibConstants, deflateRawSync } from 'node:zlib';

/** VRs with a 2-byte reserved field and a 4-byte length (PS3.5 Table 7.1-1). */
const LONG_LENGTH_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/** An element header declaring `length` value bytes, without the value (for overruns and bombs). */
export function elementHeader(group: number, element: number, vr: string, length: number): Buffer {
  const long = LONG_LENGTH_VRS.has(vr);
  const h = Buffer.alloc(long ? 12 : 8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(element, 2);
  h.write(vr, 4, 'latin1');
  if (long) h.writeUInt32LE(length, 8);
  else h.writeUInt16LE(length, 6);
  return h;
}

/** A whole element; odd values are padded (NUL for UI and OB, space otherwise, PS3.5 §6.2). */
export function element(group: number, element: number, vr: string, value: string | Buffer): Buffer {
  let v = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  if (v.length % 2 === 1) v = Buffer.concat([v, Buffer.from([vr === 'UI' || vr === 'OB' ? 0 : 0x20])]);
  return Buffer.concat([elementHeader(group, element, vr, v.length), v]);
}

export interface Identifiers {
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
}

/** (0008,0016) and (0008,0018): what comes before any private group 0009. */
export function sopElements(ids: Identifiers): Buffer {
  return Buffer.concat([element(0x0008, 0x0016, 'UI', ids.sopClassUid), element(0x0008, 0x0018, 'UI', ids.sopInstanceUid), element(0x0008, 0x0060, 'CS', 'CT')]);
}

/** (0020,000D) and (0020,000E). */
export function studySeriesElements(ids: Identifiers): Buffer {
  return Buffer.concat([element(0x0020, 0x000d, 'UI', ids.studyInstanceUid), element(0x0020, 0x000e, 'UI', ids.seriesInstanceUid)]);
}

/** A well-formed minimal dataset with the four identifying UIDs. */
export function minimalDataset(ids: Identifiers): Buffer {
  return Buffer.concat([sopElements(ids), studySeriesElements(ids)]);
}

/**
 * A raw deflate stream (Deflated Explicit VR LE, PS3.5 §A.5) of `before`, then `zeroMiB` MiB of zeros, then
 * `after`. The zeros are one compressed MiB repeated: independent sync-flushed pieces concatenate to one valid
 * stream, so a 1 GiB bomb costs ~1 MB and no gigabyte of work to build.
 */
export function deflatedWithZeros(before: Buffer, zeroMiB: number, after: Buffer): Buffer {
  const sync = { finishFlush: zlibConstants.Z_SYNC_FLUSH };
  const zeros = deflateRawSync(Buffer.alloc(1024 * 1024), sync);
  return Buffer.concat([deflateRawSync(before, sync), ...Array.from({ length: zeroMiB }, () => zeros), deflateRawSync(after)]);
}

/** A private group 0009 (creator "BOMB") whose OB element holds `zeroMiB` MiB of zeros, as an element header. */
export function privateZerosHeader(zeroMiB: number): Buffer {
  return Buffer.concat([element(0x0009, 0x0010, 'LO', 'BOMB'), elementHeader(0x0009, 0x1000, 'OB', zeroMiB * 1024 * 1024)]);
}
