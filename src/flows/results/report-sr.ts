/**
 * Writes a report's coded findings back to the PACS as a DICOM SR (issue #5, `reportSr` destinations): the same
 * TID 1500 builder as the image-AI SR, one measurement group per finding with Present / Absent / Undetermined and
 * the stated size, in the report's study. Called whenever a study's results change (a report was processed, the
 * study was analysed). Its SOP Instance UID names its content (issue 12): unchanged findings and images write and
 * send nothing; a corrected report or a late image is a new SR that names the one it replaces.
 */
import type { DicomDestination } from '../../config/index.js';
import { REPORT_RESULT_KEY } from '../../db/index.js';
import { parseUid } from '../../dicom/index.js';
import { resultKey } from '../../storage/index.js';
import type { ReportFinding } from '../../nlp/index.js';
import { buildFindingsSr, deriveUid, findingsSrIdentity, nextRevision, resultDateTime, type AiFinding, type FindingsSrInput, type LocalCodingScheme } from '../../results/index.js';
import type { StudyResultsStores } from './ai-flags.js';
import type { StudySource } from './study-source.js';

/** The gateway's own concepts (`LOCAL` in src/nlp/concepts.ts) as a private coding scheme (PS3.16 8.2: "99" prefix). */
const LOCAL_SCHEME: LocalCodingScheme = {
  designator: '99PAG',
  name: 'pacs-ai-gateway report concepts',
  uid: deriveUid('pacs-ai-gateway', 'coding-scheme', '99PAG'),
};

export interface ReportSrDeps extends StudyResultsStores {
  destinations: ReadonlyArray<DicomDestination>;
  /** The report analyser, as the SR's device observer and algorithm. */
  analyzer: { id: string; version: string; demo: boolean };
}

/** Queues the study's report-findings SR for every `reportSr` destination; returns the destinations that got a new one. */
export async function queueReportSr(studyInstanceUid: string, source: StudySource, deps: ReportSrDeps, nowMs: number): Promise<string[]> {
  const targets = deps.destinations.filter((d) => d.reportSr);
  const studyUid = parseUid(studyInstanceUid);
  if (targets.length === 0 || studyUid === undefined) return [];
  // The SR goes into the study: patient and study attributes from its images, which are also its evidence. Read
  // first, so that the report below is the latest one when this call builds its SR.
  const context = await source.context();
  const accession = (await deps.studies.accessionOf(studyUid)) ?? '';
  const report = await deps.messages.latestReportFor(studyUid, accession);
  if (report === undefined) return [];
  const { images } = source;
  const findings = studyFindings(JSON.parse(report.findingsJson) as ReportFinding[]);
  if (findings.length === 0) return [];

  const input: FindingsSrInput = {
    source: context,
    referencedInstances: images.map((i) => ({ sopClassUid: i.sopClassUid, sopInstanceUid: i.sopInstanceUid, seriesInstanceUid: i.seriesInstanceUid })),
    model: { id: deps.analyzer.id, version: deps.analyzer.version, manufacturer: 'pacs-ai-gateway', demo: deps.analyzer.demo },
    findings,
    kind: 'report-findings',
    codingSchemes: findings.some((f) => f.finding.scheme === LOCAL_SCHEME.designator) ? [LOCAL_SCHEME] : [],
    // The report's arrival, not the clock: processing the same report again writes the same bytes.
    ...resultDateTime(report.receivedAt, context.timezoneOffsetFromUtc),
    request: { accessionNumber: accession, report: { controlId: report.controlId } },
    // The reading radiologist the report names (OBR-32, else OBX-16), as the SR's person observer (TID 1002/1003).
    ...(report.interpreter === '' ? {} : { personObserver: report.interpreter }),
    seriesNumber: 9001,
  };
  const identity = findingsSrIdentity(input);
  const current = await deps.results.currentRevision(studyUid, REPORT_RESULT_KEY);
  const step = await nextRevision(studyUid, identity, current, {
    uidTaken: (uid) => deps.results.hasRevisionUid(uid),
    readSr: (uid) => deps.spool.read(resultKey(studyUid, uid)),
  });
  // Results change for other reasons too (an analysis, a processed report with the same findings): the same SR is
  // neither rewritten nor sent again.
  if (step.kind === 'unchanged') return [];
  const sr = buildFindingsSr({ ...input, revision: step.revision });
  const relative = resultKey(studyUid, sr.sopInstanceUid);
  await deps.spool.write(relative, sr.part10);
  await deps.results.saveReportSr(studyUid, report.id, sr.sopInstanceUid, nowMs);
  return deps.results.commitRevision(
    {
      studyInstanceUid: studyUid,
      resultKey: REPORT_RESULT_KEY,
      kind: 'report-findings',
      modelId: deps.analyzer.id,
      modelVersion: deps.analyzer.version,
      revision: sr.instanceNumber,
      sopInstanceUid: sr.sopInstanceUid,
      seriesInstanceUid: sr.seriesInstanceUid,
      contentDigest: sr.contentDigest,
      predecessorUid: step.revision.predecessor?.sopInstanceUid ?? null,
      // Another report than the current SR's changed the findings; the same report with new images is a re-analysis.
      reason: current === undefined ? 'initial' : current.sourceMessageId !== report.id ? 'report-corrected' : 're-analysis',
      sourceMessageId: report.id,
    },
    targets.map((d) => ({ kind: 'dicom', destination: d.name, studyInstanceUid: studyUid, dedupeKey: sr.sopInstanceUid, payload: relative })),
    nowMs,
  );
}

/**
 * One finding per concept for the whole report: present wins over uncertain over absent ("no effusion on the
 * left, small effusion on the right" is an effusion), with the largest size stated for it.
 */
export function studyFindings(mentions: readonly ReportFinding[]): AiFinding[] {
  const rank = { present: 2, uncertain: 1, absent: 0 } as const;
  const byConcept = new Map<string, ReportFinding & { maxSize: number | null }>();
  for (const m of mentions) {
    if (m.concept === 'no-finding') continue; // "no acute abnormality" is not a finding to code
    const seen = byConcept.get(m.concept);
    const maxSize = m.certainty === 'absent' ? null : m.sizeMm;
    if (seen === undefined) byConcept.set(m.concept, { ...m, maxSize });
    else {
      const best = rank[m.certainty] > rank[seen.certainty] ? { ...m, maxSize: seen.maxSize } : seen;
      if (maxSize !== null && (best.maxSize === null || maxSize > best.maxSize)) best.maxSize = maxSize;
      byConcept.set(m.concept, best);
    }
  }
  return [...byConcept.values()].map((f) => ({
    finding: { value: f.code, scheme: f.scheme === 'LOCAL' ? LOCAL_SCHEME.designator : f.scheme, meaning: f.label },
    presence: f.certainty === 'uncertain' ? 'undetermined' : f.certainty,
    ...(f.maxSize !== null && f.certainty !== 'absent' ? { sizeMm: f.maxSize } : {}),
    sourceInstanceUids: [],
  }));
}
