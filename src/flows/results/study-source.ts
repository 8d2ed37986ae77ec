/**
 * What the result writers (AI-flags ORU, report-findings SR) need from a study's received instances: its images,
 * and the source context (patient and study attributes) of the first one — read from the spool at most once per
 * results change, and only if a writer gets that far.
 */
import type { InstancesStore, StoredInstance } from '../../db/index.js';
import { isImageSopClass } from '../../dicom/index.js';
import { sourceContextFromPart10, type SourceContext } from '../../results/index.js';
import type { Spool } from '../../storage/index.js';

export interface StudySource {
  /** The study's image instances, at least one (SRs, ours routed back included, are not images). */
  images: StoredInstance[];
  context(): Promise<SourceContext>;
}

/** Undefined when the study has no image (none received, or purged by retention): nothing can be written for it. */
export async function studySource(studyUid: string, deps: { instances: Pick<InstancesStore, 'forStudy'>; spool: Pick<Spool, 'read'> }): Promise<StudySource | undefined> {
  const images = (await deps.instances.forStudy(studyUid)).filter((i) => isImageSopClass(i.sopClassUid));
  const first = images[0];
  if (first === undefined) return undefined;
  let context: Promise<SourceContext> | undefined;
  return { images, context: () => (context ??= deps.spool.read(first.path).then((bytes) => sourceContextFromPart10(bytes, first.path))) };
}
