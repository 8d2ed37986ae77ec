/**
 * Result revisions (issue 12): the SOP Instance UID of a result object names its *content*, so an unchanged result
 * keeps its UID (retries and re-runs re-create the same instance, nothing new is sent) and a changed result gets a
 * new one (a PACS that keeps the first copy of a UID, as Orthanc does by default, still receives the update).
 *
 * UID = deriveUid(study, model id, model version, kind, 'rev', contentDigest). The digest is the first 32 hex
 * characters of SHA-256 over the canonical JSON (keys sorted, set-like lists sorted) of what defines the result:
 * the findings (concept, presence, probability, size, source images, regions when present), the referenced
 * instances and the demo flag. Never times, durations, engines or anything else a mere re-run changes.
 * Other result objects (KOS, summary image) derive their UIDs from the SR's: `deriveUid(srSopInstanceUid, 'kos')`.
 */
import { createHash } from 'node:crypto';
import type { Uid } from '../dicom/index.js';
import { deriveUid } from './derive-uid.js';

/** What defines a result's content; extra fields of a finding (regions, …) count as they are. */
export interface RevisionContent {
  readonly findings: ReadonlyArray<{ readonly probability?: number; readonly sourceInstanceUids?: readonly string[] } & object>;
  readonly referencedInstanceUids: readonly string[];
  readonly demo: boolean;
}

/**
 * Decimals a probability keeps in the digest: float noise between runs of one model on the same images (another
 * batch size or execution provider changes the last bits) is not a new result; anything a reader could see is.
 */
const PROBABILITY_DECIMALS = 6;

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** JSON with object keys sorted at every level; undefined members are dropped, as JSON.stringify does. */
function canonical(value: unknown): Json {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonical(v);
    }
    return out;
  }
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' || value === null) return value;
  throw new TypeError(`a result's content holds a ${typeof value}, which has no canonical JSON`);
}

const sorted = (list: readonly string[]): string[] => [...new Set(list)].sort();

/** Hex SHA-256 (first 32 characters) of the canonical content: equal content, equal digest, whatever the order. */
export function contentDigest(content: RevisionContent): string {
  const findings = content.findings
    .map((f) => ({
      ...f,
      ...(f.probability === undefined ? {} : { probability: Number(f.probability.toFixed(PROBABILITY_DECIMALS)) }),
      ...(f.sourceInstanceUids === undefined ? {} : { sourceInstanceUids: sorted(f.sourceInstanceUids) }),
    }))
    .map((f) => JSON.stringify(canonical(f)))
    .sort();
  const body = JSON.stringify(canonical({ findings, referencedInstanceUids: sorted(content.referencedInstanceUids), demo: content.demo }));
  return createHash('sha256').update(body, 'utf8').digest('hex').slice(0, 32);
}

/** The SOP Instance UID of a result object with this content digest (see the module comment). */
export function resultRevisionUid(studyInstanceUid: string, model: { readonly id: string; readonly version: string }, kind: string, digest: string): Uid {
  return deriveUid(studyInstanceUid, model.id, model.version, kind, 'rev', digest);
}

/**
 * The UID of a revision whose content went back to an earlier revision's (A → B → A): that UID is taken, and a
 * PACS that keeps the first copy would drop the new object. Derived from the content UID and the revision number,
 * so a retry of the same revision gives the same UID again.
 */
export function repeatedContentUid(contentUid: string, revision: number): Uid {
  return deriveUid(contentUid, 'revision', String(revision));
}
