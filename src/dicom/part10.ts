/**
 * PS3.10 §7.1 File Meta Information: the 128-byte preamble, "DICM" and group 0002 in Explicit VR Little Endian,
 * whatever the dataset's transfer syntax. Built for the files we write; read (the one reader) for the files we
 * send and compare.
 */
import type { FileHandle } from 'node:fs/promises';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, parseUid, type Uid } from './uids.js';

export interface FileMetaFields {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /** Who sent it (0002,0016): the calling AE title. */
  sourceAeTitle?: string;
}

function shortElement(element: number, vr: string, value: Buffer): Buffer {
  const b = Buffer.alloc(8 + value.length);
  b.writeUInt16LE(0x0002, 0);
  b.writeUInt16LE(element, 2);
  b.write(vr, 4, 'latin1');
  b.writeUInt16LE(value.length, 6);
  value.copy(b, 8);
  return b;
}

function padded(text: string, pad: '\0' | ' '): Buffer {
  return Buffer.from(text.length % 2 === 1 ? text + pad : text, 'latin1');
}

export function buildFileMetaHeader(fields: FileMetaFields): Buffer {
  const version = Buffer.from([0x02, 0x00, 0x01, 0x00, 0x4f, 0x42, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01]); // (0002,0001) OB 00\01
  const elements = [
    version,
    shortElement(0x0002, 'UI', padded(fields.sopClassUid, '\0')),
    shortElement(0x0003, 'UI', padded(fields.sopInstanceUid, '\0')),
    shortElement(0x0010, 'UI', padded(fields.transferSyntaxUid, '\0')),
    shortElement(0x0012, 'UI', padded(IMPLEMENTATION_CLASS_UID, '\0')),
    shortElement(0x0013, 'SH', padded(IMPLEMENTATION_VERSION_NAME, ' ')),
  ];
  if (fields.sourceAeTitle !== undefined && fields.sourceAeTitle !== '') {
    elements.push(shortElement(0x0016, 'AE', padded(fields.sourceAeTitle, ' ')));
  }
  const body = Buffer.concat(elements);
  const groupLength = Buffer.alloc(12);
  groupLength.writeUInt16LE(0x0002, 0);
  groupLength.writeUInt16LE(0x0000, 2);
  groupLength.write('UL', 4, 'latin1');
  groupLength.writeUInt16LE(4, 6);
  groupLength.writeUInt32LE(body.length, 8);
  const preamble = Buffer.alloc(132);
  preamble.write('DICM', 128, 'latin1');
  return Buffer.concat([preamble, groupLength, body]);
}

/** What the meta group says, and where the dataset starts. */
export interface FileMeta {
  /** (0002,0002) */
  mediaStorageSopClassUid: Uid;
  /** (0002,0003) */
  mediaStorageSopInstanceUid: Uid;
  /** (0002,0010): the dataset's transfer syntax. */
  transferSyntaxUid: Uid;
  /** Byte offset of the first dataset byte (after the meta group). */
  datasetOffset: number;
}

export type FileMetaResult = { kind: 'ok'; meta: FileMeta } | { kind: 'invalid'; detail: string };

/** A meta header longer than this is not one we will trust (typical ones are 150–250 bytes). */
export const MAX_FILE_META_BYTES = 64 * 1024;
const PREAMBLE_BYTES = 128;
const DATASET_SEARCH_START = PREAMBLE_BYTES + 4; // after "DICM"

/** Explicit VR with a 2-byte reserved field and a 4-byte length (PS3.5 §7.1.2). */
export const LONG_VRS: ReadonlySet<string> = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/**
 * Parses the meta group from the first bytes of a file.
 * @param head the file's first bytes (at least `min(size, MAX_FILE_META_BYTES)` of them)
 * @param size the whole file's size
 */
export function readFileMeta(head: Buffer, size: number): FileMetaResult {
  const invalid = (detail: string): FileMetaResult => ({ kind: 'invalid', detail });
  if (head.length < DATASET_SEARCH_START || head.toString('latin1', PREAMBLE_BYTES, DATASET_SEARCH_START) !== 'DICM') {
    return invalid('no "DICM" prefix at byte 128: not a Part-10 file (PS3.10 §7.1)');
  }
  const values = new Map<number, Buffer>();
  let off = DATASET_SEARCH_START;
  let groupLengthEnd: number | undefined;
  for (;;) {
    // With a group length, it alone says where the dataset starts: a deflated dataset may begin with bytes that
    // look like group 0002.
    if (groupLengthEnd !== undefined && off >= groupLengthEnd) break;
    if (off === size) break; // a meta header and no dataset
    if (off + 8 > head.length) {
      return invalid(head.length < size ? `meta header longer than ${MAX_FILE_META_BYTES} bytes` : 'file ends inside the meta header');
    }
    if (head.readUInt16LE(off) !== 0x0002) break;
    const element = head.readUInt16LE(off + 2);
    const vr = head.toString('latin1', off + 4, off + 6);
    if (!/^[A-Z]{2}$/.test(vr)) return invalid(`meta element (0002,${hex4(element)}) has no explicit VR (PS3.10 requires Explicit VR Little Endian)`);
    let valueOff: number;
    let length: number;
    if (LONG_VRS.has(vr)) {
      if (off + 12 > head.length) return invalid('file ends inside the meta header');
      length = head.readUInt32LE(off + 8);
      valueOff = off + 12;
    } else {
      length = head.readUInt16LE(off + 6);
      valueOff = off + 8;
    }
    if (valueOff + length > head.length) {
      return invalid(head.length < size ? `meta header longer than ${MAX_FILE_META_BYTES} bytes` : `meta element (0002,${hex4(element)}) runs past the end of the file`);
    }
    const value = head.subarray(valueOff, valueOff + length);
    values.set(element, value);
    if (element === 0x0000 && length === 4) groupLengthEnd = valueOff + length + value.readUInt32LE(0);
    off = valueOff + length;
  }
  // A group length that disagrees with the elements (one runs past it, or the group ends early) means we cannot
  // tell where the dataset starts: refuse rather than send a shifted dataset.
  if (groupLengthEnd !== undefined && groupLengthEnd !== off) {
    return invalid(`meta group length says the dataset starts at byte ${groupLengthEnd}, its elements end at ${off}`);
  }
  const uids: Uid[] = [];
  for (const [element, name] of [
    [0x0002, 'Media Storage SOP Class UID'],
    [0x0003, 'Media Storage SOP Instance UID'],
    [0x0010, 'Transfer Syntax UID'],
  ] as const) {
    const raw = values.get(element);
    if (raw === undefined) return invalid(`meta header lacks (0002,${hex4(element)}) ${name}`);
    const parsed = parseUid(raw.toString('latin1'));
    if (parsed === undefined) {
      return invalid(`meta header (0002,${hex4(element)}) ${name} is not a valid UID: ${JSON.stringify(raw.toString('latin1').slice(0, 70))}`);
    }
    uids.push(parsed);
  }
  const [mediaStorageSopClassUid, mediaStorageSopInstanceUid, transferSyntaxUid] = uids as [Uid, Uid, Uid];
  return { kind: 'ok', meta: { mediaStorageSopClassUid, mediaStorageSopInstanceUid, transferSyntaxUid, datasetOffset: off } };
}

/** The first bytes of an open file, enough for `readFileMeta`, and the file's size. */
export async function readFileHead(handle: FileHandle): Promise<{ head: Buffer; size: number }> {
  const { size } = await handle.stat();
  const head = Buffer.alloc(Math.min(size, MAX_FILE_META_BYTES));
  const { bytesRead } = await handle.read(head, 0, head.length, 0);
  return { head: head.subarray(0, bytesRead), size };
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}
