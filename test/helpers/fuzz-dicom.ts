/**
 * Seeded fuzzing of the DICOM SCP (PS3.8 upper layer, PS3.7 DIMSE): structure-aware cases built from valid PDUs
 * (A-ASSOCIATE-RQ, P-DATA-TF with a C-STORE-RQ and its dataset) with bit flips, truncation, lied length fields,
 * repeated items, random bytes, byte-by-byte writes, abrupt closes and oversize PDUs; between them, valid C-STORE
 * canaries on their own association, timed. Every C-STORE answered Success (hostile or canary) is returned with
 * the dataset bytes sent, for verifyStoredInstances() to check against the index and the spool.
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandField, decodeCommand, encodeCommand, isSuccessOrWarning, type DimseCommand } from '../../src/dicom/dimse-command.js';
import { readFileMeta } from '../../src/dicom/part10.js';
import { PduType, decodePData, encodeAbort, encodeAssociateRq, encodePData, encodeReleaseRq, type ProposedContext } from '../../src/dicom/pdu.js';
import { element, minimalDataset, type Identifiers } from './crafted-dataset.js';
import { caseRng, countKind, mutate, paced, runCases, writePieces, type FuzzRun, type Rng, type WritePace } from './fuzz.js';
import { CT_STORAGE, EXPLICIT_LE, IMPLICIT_LE, RawPeer, VERIFICATION, within } from './raw-dicom.js';

export const DICOM_FUZZ_KINDS = [
  'associate-mutated',
  'associate-length-lie',
  'associate-repeated-items',
  'command-mutated',
  'dataset-mutated',
  'pdata-length-lie',
  'oversize-pdu',
  'abrupt-close',
  'release-mid-dataset',
  'random-bytes',
  'stranger',
] as const;
export type DicomFuzzKind = (typeof DICOM_FUZZ_KINDS)[number];

const CONTEXTS: ProposedContext[] = [
  { id: 1, abstractSyntax: CT_STORAGE, transferSyntaxes: [EXPLICIT_LE] },
  { id: 3, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
];

/** Source addresses (all loopback on Linux): hostile cases, canaries, and one the allow-list does not name. */
export const FUZZ_SOURCE = '127.0.0.2';
export const CANARY_SOURCE = '127.0.0.1';
export const STRANGER_SOURCE = '127.0.0.77';

export interface StoredCopy {
  sopInstanceUid: string;
  dataset: Buffer;
  case: string;
}

export interface DicomFuzzRun extends FuzzRun {
  /** Every C-STORE answered Success or Warning, with the dataset bytes that were sent. */
  accepted: StoredCopy[];
}

export interface DicomFuzzOptions {
  cases: number;
  seed: number;
  parallel?: number;
  /** A canary C-STORE after every this many cases (default 10). */
  canaryEvery?: number;
  /** A canary slower than this is a defect (ms). */
  canaryLimitMs?: number;
  /** The SCP's dicom.maxPduBytes: the oversize case announces more. */
  maxPduBytes: number;
}

const uidRoot = (seed: number): string => `1.2.826.0.1.3680043.15.${seed % 100_000}`;

function identifiers(seed: number, n: number, prefix: 'f' | 'c'): Identifiers {
  const root = uidRoot(seed);
  return {
    sopClassUid: CT_STORAGE,
    sopInstanceUid: `${root}.${prefix === 'f' ? 1 : 2}.${n}`,
    // a handful of studies, so completion and re-opening are exercised too
    studyInstanceUid: `${root}.9.${n % 5}`,
    seriesInstanceUid: `${root}.8.${n % 5}`,
  };
}

/** A small valid CT-like dataset: the identifying UIDs and an OB "pixel" element of seeded bytes. */
function dataset(ids: Identifiers, rng: Rng): Buffer {
  return Buffer.concat([minimalDataset(ids), element(0x7fe0, 0x0010, 'OB', rng.bytes(512 + rng.int(4096)))]);
}

function storeRq(messageId: number, ids: Identifiers): DimseCommand {
  return { commandField: CommandField.CStoreRq, messageId, affectedSopClassUid: ids.sopClassUid, affectedSopInstanceUid: ids.sopInstanceUid, priority: 0, dataSetType: 0 };
}

function associateRq(callingAe = 'FUZZSCU'): Buffer {
  return encodeAssociateRq({ calledAeTitle: 'AIGATEWAY', callingAeTitle: callingAe, contexts: CONTEXTS, maxPduLength: 65536 });
}

/** Offsets of the variable items of an A-ASSOCIATE-RQ (after the 6-byte PDU header and 68 fixed bytes). */
function itemOffsets(rq: Buffer): number[] {
  const out: number[] = [];
  for (let o = 74; o + 4 <= rq.length; o += 4 + rq.readUInt16BE(o + 2)) out.push(o);
  return out;
}

/** A PDU with its 4-byte length field rewritten to `length` (a lie unless it happens to match). */
function withPduLength(pdu: Buffer, length: number): Buffer {
  const b = Buffer.from(pdu);
  b.writeUInt32BE(length >>> 0, 2);
  return b;
}

/** A length the upper layer must survive: 0, off by one either way, huge, or random. */
function lie(rng: Rng, truth: number, max: number): number {
  return rng.pick([0, 1, truth - 1, truth + 1, truth * 2, max, 0xffff, 0x7fffffff, 0xffffffff, rng.int(max + 1)]) >>> 0;
}

/** The bytes of a case, written after the connection opens; the P-DATA of a C-STORE goes after an A-ASSOCIATE-AC. */
interface CasePlan {
  /** Before any answer (the A-ASSOCIATE-RQ or what stands for it). */
  opening: Buffer;
  /** After an A-ASSOCIATE-AC, if one comes: P-DATA etc. */
  then?: Buffer;
  /** Close without waiting for an answer to `then`. */
  abrupt?: boolean;
  /** The dataset inside `then`, and its UIDs, when `then` is a C-STORE whose Success is to be recorded. */
  store?: { ids: Identifiers; dataset: Buffer };
  pace: WritePace;
}

function plan(kind: DicomFuzzKind, rng: Rng, seed: number, n: number, maxPduBytes: number): CasePlan {
  const pace: WritePace = rng.chance(0.1) ? 'one-byte' : rng.chance(0.2) ? 'pieces' : 'whole';
  const rq = associateRq();
  const ids = identifiers(seed, n, 'f');
  const ds = dataset(ids, rng);
  const storeBytes = (command: Buffer, data: Buffer): Buffer => Buffer.concat([...encodePData(1, true, command, 16384), ...encodePData(1, false, data, 16384)]);
  const command = encodeCommand(storeRq(n + 1, ids));
  switch (kind) {
    case 'associate-mutated':
      return { opening: mutate(rq, rng).bytes, pace };
    case 'associate-length-lie': {
      if (rng.chance(0.5)) return { opening: withPduLength(rq, lie(rng, rq.length - 6, 1 << 26)), pace };
      const b = Buffer.from(rq);
      const at = rng.pick(itemOffsets(b));
      b.writeUInt16BE(lie(rng, b.readUInt16BE(at + 2), 0xffff) & 0xffff, at + 2);
      return { opening: b, pace };
    }
    case 'associate-repeated-items': {
      // One item (a presentation context, the application context or the user information) many times over; the
      // PDU length stays true, so only the item repetition is the fault.
      const offs = itemOffsets(rq);
      const at = rng.pick(offs);
      const item = rq.subarray(at, at + 4 + rq.readUInt16BE(at + 2));
      const copies = 2 + rng.int(rng.chance(0.2) ? 3000 : 40);
      const body = Buffer.concat([rq.subarray(6, at + item.length), ...Array.from({ length: copies }, () => item), rq.subarray(at + item.length)]);
      const head = Buffer.from([PduType.AssociateRq, 0, 0, 0, 0, 0]);
      head.writeUInt32BE(body.length, 2);
      return { opening: Buffer.concat([head, body]), pace };
    }
    case 'command-mutated':
      return { opening: rq, then: storeBytes(mutate(command, rng).bytes, ds), pace };
    case 'dataset-mutated': {
      const { bytes } = mutate(ds, rng);
      // A mutated dataset may be acceptable (a flipped pixel): what gets Success must be stored as sent.
      return { opening: rq, then: storeBytes(command, bytes), store: { ids, dataset: bytes }, pace };
    }
    case 'pdata-length-lie': {
      const pdus = [...encodePData(1, true, command, 16384), ...encodePData(1, false, ds, 16384)];
      const i = rng.int(pdus.length);
      const p = Buffer.from(pdus[i] as Buffer);
      // the PDU length or the PDV item length inside it
      if (rng.chance(0.5)) p.writeUInt32BE(lie(rng, p.readUInt32BE(2), 1 << 26), 2);
      else p.writeUInt32BE(lie(rng, p.readUInt32BE(6), 1 << 26), 6);
      pdus[i] = p;
      return { opening: rq, then: Buffer.concat(pdus), pace };
    }
    case 'oversize-pdu': {
      const announced = maxPduBytes + 1 + rng.int(64 << 20);
      const head = Buffer.alloc(12);
      head.writeUInt8(PduType.PData, 0);
      head.writeUInt32BE(announced, 2);
      head.writeUInt32BE(announced - 4, 6);
      head.writeUInt8(1, 10);
      head.writeUInt8(0x02, 11);
      return { opening: rq, then: Buffer.concat([head, rng.bytes(4096)]), pace: 'whole' };
    }
    case 'abrupt-close': {
      const all = storeBytes(command, ds);
      return { opening: rq, then: all.subarray(0, rng.int(all.length)), abrupt: true, pace };
    }
    case 'release-mid-dataset': {
      const pdus = [...encodePData(1, true, command, 16384), ...encodePData(1, false, ds, 1024)];
      const cut = 1 + rng.int(pdus.length - 1);
      return { opening: rq, then: Buffer.concat([...pdus.slice(0, cut), rng.chance(0.5) ? encodeReleaseRq() : encodeAbort(0, 0), ...pdus.slice(cut)]), pace };
    }
    case 'random-bytes':
      return { opening: rng.bytes(1 + rng.int(rng.chance(0.1) ? 200_000 : 2048)), pace };
    case 'stranger':
      return { opening: rq, pace: 'whole' };
  }
}

/** Waits for the next PDU from the SCP for up to `ms`; undefined on close or silence. */
async function nextPdu(peer: RawPeer, ms: number): Promise<{ type: number; body: Buffer } | undefined> {
  try {
    return await within(peer.next(), ms, 'a PDU from the SCP');
  } catch {
    return undefined;
  }
}

/** Runs one hostile case; returns the Success it got for a dataset, if any. */
async function runCase(kind: DicomFuzzKind, label: string, p: CasePlan, port: number, rng: Rng): Promise<StoredCopy | undefined> {
  const from = kind === 'stranger' ? STRANGER_SOURCE : FUZZ_SOURCE;
  let peer: RawPeer;
  try {
    peer = await RawPeer.connect(port, from);
  } catch {
    return undefined; // refused at accept (a stranger, or past the per-peer limit): nothing to answer
  }
  try {
    await writePieces(peer.socket, paced(p.opening, p.pace, rng));
    const answer = await nextPdu(peer, 1500);
    if (p.then === undefined || answer?.type !== PduType.AssociateAc) return undefined;
    await writePieces(peer.socket, paced(p.then, p.pace, rng));
    if (p.abrupt === true) return undefined;
    const rsp = await nextPdu(peer, 1500);
    if (rsp?.type !== PduType.PData || p.store === undefined) return undefined;
    const status = decodeCommand(Buffer.concat(decodePData(rsp.body).map((v) => v.data))).status;
    return status !== undefined && isSuccessOrWarning(status) ? { sopInstanceUid: p.store.ids.sopInstanceUid, dataset: p.store.dataset, case: label } : undefined;
  } catch {
    return undefined; // the SCP may answer with anything or nothing; what matters is checked after the run
  } finally {
    peer.socket.destroy();
  }
}

/** A valid C-STORE on its own association from CANARY_SOURCE: Success expected; resolves with the ms it took. */
async function canaryStore(port: number, ids: Identifiers, data: Buffer): Promise<{ ok: boolean; ms: number; detail: string }> {
  const t0 = performance.now();
  let peer: RawPeer | undefined;
  try {
    peer = await RawPeer.connect(port, CANARY_SOURCE);
    const ac = await peer.associate(CONTEXTS, 'CANARY');
    if (ac?.type !== PduType.AssociateAc) return { ok: false, ms: performance.now() - t0, detail: `association answered with PDU type ${ac?.type ?? 'none (closed)'}` };
    const rsp = await within(peer.request(1, storeRq(1, ids), data), 10_000, 'the canary C-STORE response');
    await within(peer.release(), 10_000, 'the canary release');
    const ok = rsp.status === 0;
    return { ok, ms: performance.now() - t0, detail: ok ? '' : `status 0x${(rsp.status ?? -1).toString(16)}` };
  } catch (err) {
    return { ok: false, ms: performance.now() - t0, detail: (err as Error).message };
  } finally {
    peer?.socket.destroy();
  }
}

/** Fuzzes the SCP on `port`; `FUZZ_SOURCE` and `CANARY_SOURCE` must be allowed peers, `STRANGER_SOURCE` not. */
export async function fuzzDicom(port: number, options: DicomFuzzOptions): Promise<DicomFuzzRun> {
  const run: DicomFuzzRun = { listener: 'dicom', seed: options.seed, cases: options.cases, kinds: {}, canaryMs: [], defects: [], accepted: [] };
  const canaryEvery = options.canaryEvery ?? 10;
  const limitMs = options.canaryLimitMs ?? 2000;
  const canaries: Array<Promise<void>> = [];
  await runCases(options.cases, options.parallel ?? 4, async (n) => {
    const rng = caseRng(options.seed, n);
    const kind = rng.pick(DICOM_FUZZ_KINDS);
    countKind(run, kind);
    if (n % canaryEvery === 0) {
      const ids = identifiers(options.seed, n, 'c');
      const data = dataset(ids, rng);
      canaries.push(
        canaryStore(port, ids, data).then((r) => {
          run.canaryMs.push(r.ms);
          if (!r.ok) run.defects.push(`seed ${options.seed} case ${n}: canary C-STORE failed: ${r.detail}`);
          else {
            run.accepted.push({ sopInstanceUid: ids.sopInstanceUid, dataset: data, case: `seed ${options.seed} case ${n} (canary)` });
            if (r.ms > limitMs) run.defects.push(`seed ${options.seed} case ${n}: canary C-STORE took ${r.ms.toFixed(0)} ms (limit ${limitMs})`);
          }
        }),
      );
    }
    const stored = await runCase(kind, `seed ${options.seed} case ${n} (${kind})`, plan(kind, rng, options.seed, n, options.maxPduBytes), port, rng);
    if (stored !== undefined) run.accepted.push(stored);
  });
  await Promise.all(canaries);
  return run;
}

/**
 * No accepted data lost: each instance answered Success has its row in the index, and its spool file is our meta
 * header followed by exactly the dataset bytes sent (PS3.10 §7.1: the dataset as received). Returns defects.
 */
export function verifyStoredInstances(dataDir: string, accepted: readonly StoredCopy[]): string[] {
  const defects: string[] = [];
  const db = new Database(join(dataDir, 'gateway.sqlite'), { readonly: true });
  try {
    const find = db.prepare<[string], { path: string }>('SELECT path FROM instances WHERE sop_instance_uid = ?');
    for (const a of accepted) {
      const row = find.get(a.sopInstanceUid);
      if (row === undefined) {
        defects.push(`${a.case} ${a.sopInstanceUid}: answered Success but not in the index`);
        continue;
      }
      let file: Buffer;
      try {
        file = readFileSync(join(dataDir, 'spool', row.path));
      } catch (err) {
        defects.push(`${a.case} ${a.sopInstanceUid}: answered Success but its spool file is unreadable: ${(err as Error).message}`);
        continue;
      }
      const meta = readFileMeta(file, file.length);
      if (meta.kind !== 'ok') defects.push(`${a.case} ${a.sopInstanceUid}: spool file meta header invalid: ${meta.detail}`);
      else if (!file.subarray(meta.meta.datasetOffset).equals(a.dataset)) defects.push(`${a.case} ${a.sopInstanceUid}: spool file differs from the dataset sent`);
    }
  } finally {
    db.close();
  }
  return defects;
}
