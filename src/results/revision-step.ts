/**
 * What a result writer does with a freshly computed result: nothing when it equals the current revision, else a
 * new revision that names the current one as its predecessor. Shared by the image-AI SR and the report-findings SR.
 */
import { parseUid, type Uid } from '../dicom/index.js';
import { deriveUid } from './derive-uid.js';
import { repeatedContentUid } from './result-revision.js';
import { parseFindingsSr, type FindingsSrIdentity, type SrRevision } from './sr/sr-document.js';

/** The current SR of a result, as the results store records it. */
export interface CurrentSr {
  readonly revision: number;
  readonly sopInstanceUid: string;
  /** Null for an SR recorded before revisions were. */
  readonly seriesInstanceUid: string | null;
  /** Empty for a report SR recorded before revisions were. */
  readonly modelId: string;
  readonly modelVersion: string;
}

export interface RevisionLookups {
  /** Whether an earlier SR (any result) already has this SOP Instance UID. */
  uidTaken(sopInstanceUid: string): Promise<boolean>;
  /** The bytes of an SR this gateway wrote (its spool file), for the series of one recorded before revisions were. */
  readSr(sopInstanceUid: Uid): Promise<Uint8Array>;
}

export type RevisionStep = { readonly kind: 'unchanged'; readonly sopInstanceUid: string } | { readonly kind: 'new'; readonly revision: SrRevision };

export async function nextRevision(studyInstanceUid: string, identity: FindingsSrIdentity, current: CurrentSr | undefined, lookups: RevisionLookups): Promise<RevisionStep> {
  if (current === undefined) return { kind: 'new', revision: { number: 1 } };
  // Unchanged content keeps its UID, also when that UID had to be a repeated-content one (A → B → A).
  if (current.sopInstanceUid === identity.sopInstanceUid || current.sopInstanceUid === repeatedContentUid(identity.sopInstanceUid, current.revision)) {
    return { kind: 'unchanged', sopInstanceUid: current.sopInstanceUid };
  }
  const number = current.revision + 1;
  const taken = await lookups.uidTaken(identity.sopInstanceUid);
  return {
    kind: 'new',
    revision: {
      number,
      predecessor: { studyInstanceUid, sopInstanceUid: current.sopInstanceUid, seriesInstanceUid: current.seriesInstanceUid ?? (await legacySeries(studyInstanceUid, current, lookups)) },
      ...(taken ? { sopInstanceUid: repeatedContentUid(identity.sopInstanceUid, number) } : {}),
    },
  };
}

/**
 * The series of an SR recorded before revisions were: read from its file; if that is gone, derived as it was
 * written then, from (study, model id, model version) — known for image models' SRs.
 */
async function legacySeries(studyInstanceUid: string, current: CurrentSr, lookups: RevisionLookups): Promise<string> {
  try {
    const uid = parseUid(current.sopInstanceUid);
    if (uid === undefined) throw new RangeError(`recorded SR UID "${current.sopInstanceUid}" is not a valid UID`);
    return parseFindingsSr(await lookups.readSr(uid)).seriesInstanceUid;
  } catch (err) {
    if (current.modelId === '') throw err;
    return deriveUid(studyInstanceUid, current.modelId, current.modelVersion, 'series');
  }
}
