/**
 * What the SCU sends, read from Part-10 files: the File Meta Information (PS3.10 §7.1) that names the SOP class,
 * instance and transfer syntax, the dataset bytes after it read in blocks (never the whole file), and the
 * presentation contexts (PS3.8 §9.3.2.2) an association needs for a set of files.
 */
import { open } from 'node:fs/promises';
import { constants as zlibConstants, inflateRawSync } from 'node:zlib';
import { describeError } from '../errors.js';
import type { ProposedContext } from './pdu.js';
import { LONG_VRS, MAX_FILE_META_BYTES, readFileHead, readFileMeta } from './part10.js';
import { TransferSyntax, parseUid, type Uid } from './uids.js';

/** One object to send: a Part-10 file on disk, or its bytes (e.g. an SR built in memory). */
export type ScuInput = { path: string } | { bytes: Buffer; name?: string };

/** What the meta header says, and where the dataset lies in the file. */
export interface Part10Meta {
  /** From the dataset's (0008,0016) when it can be read at its start, else from the meta header. */
  sopClassUid: Uid;
  /** From the dataset's (0008,0018) when it can be read at its start, else from the meta header. */
  sopInstanceUid: Uid;
  transferSyntaxUid: Uid;
  /** Set when the meta header names other SOP UIDs than the dataset: we send the dataset's, as DCMTK does. */
  metaMismatch?: string;
  /** Byte offset of the first dataset byte (after the meta group). */
  datasetOffset: number;
  /** Dataset length in bytes: everything after the meta group, sent as stored. */
  datasetLength: number;
}

export type MetaResult = { kind: 'ok'; meta: Part10Meta } | { kind: 'invalid'; detail: string };


/** A name for an input in messages and results. */
export function inputName(input: ScuInput, index: number): string {
  return 'path' in input ? input.path : (input.name ?? `<bytes #${index}>`);
}

/**
 * What to send for a file: its meta group (`readFileMeta`), with the SOP UIDs its dataset names.
 * @param head the file's first bytes (at least `min(size, MAX_FILE_META_BYTES)` of them)
 * @param size the whole file's size
 */
export function parseMetaHeader(head: Buffer, size: number): MetaResult {
  const read = readFileMeta(head, size);
  if (read.kind === 'invalid') return read;
  const { mediaStorageSopClassUid: metaClass, mediaStorageSopInstanceUid: metaInstance, transferSyntaxUid, datasetOffset: off } = read.meta;
  // The C-STORE command must name what the dataset says (the peer checks: A900 otherwise), so the dataset's own
  // UIDs win over a meta header that disagrees.
  const inDataset = findSopUids(head.subarray(off), transferSyntaxUid);
  const sopClassUid = inDataset.sopClassUid ?? metaClass;
  const sopInstanceUid = inDataset.sopInstanceUid ?? metaInstance;
  const mismatches = [
    sopClassUid !== metaClass ? `SOP class ${metaClass} in the meta header, ${sopClassUid} in the dataset` : '',
    sopInstanceUid !== metaInstance ? `SOP instance ${metaInstance} in the meta header, ${sopInstanceUid} in the dataset` : '',
  ].filter((m) => m !== '');
  return {
    kind: 'ok',
    meta: {
      sopClassUid,
      sopInstanceUid,
      transferSyntaxUid,
      datasetOffset: off,
      datasetLength: size - off,
      ...(mismatches.length === 0 ? {} : { metaMismatch: `${mismatches.join('; ')}: sent with the dataset's` }),
    },
  };
}

/**
 * Reads (0008,0016) and (0008,0018) from the start of a dataset, walking the elements before them. Gives up
 * (returns what it has) on anything unusual: an undefined length, a truncated prefix, a broken deflate stream.
 */
export function findSopUids(prefix: Buffer, transferSyntaxUid: string): { sopClassUid?: Uid; sopInstanceUid?: Uid } {
  let buf = prefix;
  if (transferSyntaxUid === TransferSyntax.DeflatedExplicitVRLittleEndian) {
    try {
      buf = inflateRawSync(prefix, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch {
      return {};
    }
  }
  const bigEndian = transferSyntaxUid === TransferSyntax.ExplicitVRBigEndian;
  const explicit = transferSyntaxUid !== TransferSyntax.ImplicitVRLittleEndian;
  const u16 = (at: number): number => (bigEndian ? buf.readUInt16BE(at) : buf.readUInt16LE(at));
  const u32 = (at: number): number => (bigEndian ? buf.readUInt32BE(at) : buf.readUInt32LE(at));
  const found: { sopClassUid?: Uid; sopInstanceUid?: Uid } = {};
  let off = 0;
  while (off + 8 <= buf.length) {
    const group = u16(off);
    const element = u16(off + 2);
    if (group > 0x0008 || (group === 0x0008 && element > 0x0018)) break;
    let valueOff = off + 8;
    let length = u32(off + 4);
    if (explicit) {
      const vr = buf.toString('latin1', off + 4, off + 6);
      if (LONG_VRS.has(vr)) {
        if (off + 12 > buf.length) break;
        length = u32(off + 8);
        valueOff = off + 12;
      } else {
        length = u16(off + 6);
      }
    }
    if (length === 0xffffffff || valueOff + length > buf.length) break;
    if (group === 0x0008 && (element === 0x0016 || element === 0x0018)) {
      const uid = parseUid(buf.toString('latin1', valueOff, valueOff + length));
      if (uid !== undefined) found[element === 0x0016 ? 'sopClassUid' : 'sopInstanceUid'] = uid;
    }
    off = valueOff + length;
  }
  return found;
}

/** Reads and parses the meta header of an input (at most MAX_FILE_META_BYTES of it). Never rejects. */
export async function readMeta(input: ScuInput): Promise<MetaResult> {
  if ('bytes' in input) return parseMetaHeader(input.bytes.subarray(0, MAX_FILE_META_BYTES), input.bytes.length);
  try {
    const handle = await open(input.path, 'r');
    try {
      const { head, size } = await readFileHead(handle);
      return parseMetaHeader(head, size);
    } finally {
      await handle.close();
    }
  } catch (err) {
    return { kind: 'invalid', detail: `cannot read the file: ${describeError(err)}` };
  }
}

/** The dataset bytes of one input, read front to back in blocks the caller sizes. */
export interface DatasetSource {
  readonly length: number;
  /** The next `bytes` bytes (fewer only at the end); rejects on an I/O error or a file that shrank. */
  read(bytes: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** Opens the dataset of an input for streaming. Each block is a fresh buffer: the socket may still hold the last one. */
export async function openDataset(input: ScuInput, meta: Part10Meta): Promise<DatasetSource> {
  if ('bytes' in input) {
    let pos = meta.datasetOffset;
    const end = meta.datasetOffset + meta.datasetLength;
    return {
      length: meta.datasetLength,
      read: (bytes) => {
        const block = input.bytes.subarray(pos, Math.min(end, pos + bytes));
        pos += block.length;
        return Promise.resolve(block);
      },
      close: () => Promise.resolve(),
    };
  }
  const handle = await open(input.path, 'r');
  let pos = meta.datasetOffset;
  const end = meta.datasetOffset + meta.datasetLength;
  return {
    length: meta.datasetLength,
    async read(bytes) {
      const want = Math.min(bytes, end - pos);
      const block = Buffer.allocUnsafe(want);
      let filled = 0;
      while (filled < want) {
        const { bytesRead } = await handle.read(block, filled, want - filled, pos + filled);
        if (bytesRead === 0) throw new Error(`file ended at byte ${pos + filled}, ${end - pos - filled} bytes short of its size when planned`);
        filled += bytesRead;
      }
      pos += want;
      return block;
    },
    close: () => handle.close(),
  };
}

/** PS3.8 §9.3.2.2: presentation context ids are odd numbers 1–255, so one association carries at most 128. */
export const MAX_CONTEXTS = 128;

export interface ContextPlan {
  contexts: ProposedContext[];
  /** Per input (same order): the context id it travels on; undefined for an invalid input or past the limit. */
  contextIds: Array<number | undefined>;
}

/**
 * One presentation context per distinct (SOP class, transfer syntax), proposing exactly the file's own transfer
 * syntax. No fallbacks: the dataset is sent as stored, so a context accepted in any other transfer syntax
 * (even Implicit for an Explicit LE file) could not carry it without transcoding.
 */
export function planContexts(metas: ReadonlyArray<{ sopClassUid: string; transferSyntaxUid: string } | undefined>): ContextPlan {
  const contexts: ProposedContext[] = [];
  const byKey = new Map<string, number>();
  const contextIds = metas.map((meta) => {
    if (meta === undefined) return undefined;
    const key = `${meta.sopClassUid}|${meta.transferSyntaxUid}`;
    let id = byKey.get(key);
    if (id === undefined && contexts.length < MAX_CONTEXTS) {
      id = 2 * contexts.length + 1;
      byKey.set(key, id);
      contexts.push({ id, abstractSyntax: meta.sopClassUid, transferSyntaxes: [meta.transferSyntaxUid] });
    }
    return id;
  });
  return { contexts, contextIds };
}
