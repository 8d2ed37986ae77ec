/**
 * The summary image of a flagged result as the status page shows it: found by the result's SR (the summary's UID is
 * `deriveUid(srUid, 'summary')`), read from the spool and re-encoded as PNG, since browsers do not show DICOM.
 */
import type { ResultsStore } from '../../db/index.js';
import { parseUid } from '../../dicom/index.js';
import { decodeFrames, encodePngRgb } from '../../imaging/index.js';
import { deriveUid } from '../../results/index.js';
import { resultKey, type Spool } from '../../storage/index.js';

export interface SummaryPngDeps {
  results: Pick<ResultsStore, 'forStudy'>;
  spool: Pick<Spool, 'read' | 'stat'>;
}

/** Where the status page fetches a summary (an authenticated /api path). */
export function summaryPngPath(studyInstanceUid: string, summaryUid: string): string {
  return `/api/studies/${studyInstanceUid}/summary/${summaryUid}.png`;
}

/** The summary's UID for a result, when the spool holds one (a destination lists `summary`). */
export async function summaryUidIfStored(spool: Pick<Spool, 'stat'>, studyInstanceUid: string, srSopInstanceUid: string | null): Promise<string | undefined> {
  const study = parseUid(studyInstanceUid);
  const sr = srSopInstanceUid === null ? undefined : parseUid(srSopInstanceUid);
  if (study === undefined || sr === undefined) return undefined;
  const uid = deriveUid(sr, 'summary');
  return (await spool.stat(resultKey(study, uid))) === undefined ? undefined : uid;
}

/** The PNG of `summaryUid` if it is the summary of one of the study's results and is stored; else undefined. */
export async function summaryPng(deps: SummaryPngDeps, studyInstanceUid: string, summaryUid: string): Promise<Buffer | undefined> {
  const study = parseUid(studyInstanceUid);
  if (study === undefined) return undefined;
  const results = await deps.results.forStudy(study);
  const ours = results.some((r) => r.srSopInstanceUid !== null && parseUid(r.srSopInstanceUid) !== undefined && deriveUid(r.srSopInstanceUid, 'summary') === summaryUid);
  if (!ours) return undefined;
  const key = resultKey(study, summaryUid as ReturnType<typeof deriveUid>);
  if ((await deps.spool.stat(key)) === undefined) return undefined;
  const decoded = await decodeFrames(await deps.spool.read(key));
  if (decoded.kind !== 'decoded' || decoded.meta.photometricInterpretation !== 'RGB' || decoded.meta.bitsAllocated !== 8) return undefined;
  const frame = decoded.frames[0];
  if (!(frame instanceof Uint8Array)) return undefined;
  return encodePngRgb(decoded.meta.columns, decoded.meta.rows, frame);
}
