/**
 * Queues the ORU^R01 with a study's AI flags (and any discordance with its report) for every HL7 destination.
 * Called when a study has been analysed and when a report linked to it has been processed; an unchanged result
 * builds the same message (same MSH-10), which the outbox's dedupe key turns into no second delivery. When an AI
 * result was revised (issue 12), the message is a correction (OBR-25 / OBX-11 `C`) naming the SR it corrects.
 */
import { imageResultKey, type Hl7MessagesStore, type InstancesStore, type NewOutboxItem, type OutboxItem, type OutboxReader, type ResultRevision, type ResultsStore, type StudiesReader } from '../../db/index.js';
import type { Queue } from '../../queue/index.js';
import { accessionIssuerFromSource, buildAiFlagsOru, compareFindings, oruPatientFromSource, type ReportMention } from '../../results/index.js';
import type { Spool } from '../../storage/index.js';
import type { StudySource } from './study-source.js';

/** What the writers of a study's results (this ORU, the report SR) read from and queue into. */
export interface StudyResultsStores {
  studies: Pick<StudiesReader, 'accessionOf'>;
  instances: Pick<InstancesStore, 'forStudy'>;
  results: Pick<ResultsStore, 'forStudy' | 'saveReportSr' | 'currentRevision' | 'hasRevisionUid' | 'commitRevision'>;
  messages: Hl7MessagesStore;
  /** Where deliveries are queued. */
  outbox: Pick<Queue<OutboxItem, NewOutboxItem>, 'enqueue'>;
  /** What is already queued. */
  outboxItems: OutboxReader;
  spool: Pick<Spool, 'read' | 'write'>;
}

export interface AiFlagsDeps extends StudyResultsStores {
  destinations: ReadonlyArray<{ name: string; application?: string; facility?: string }>;
  demoModels: ReadonlySet<string>;
}

/** Returns the destination names that got a new message. */
export async function queueAiFlags(studyInstanceUid: string, source: StudySource, deps: AiFlagsDeps, nowMs: number): Promise<string[]> {
  if (deps.destinations.length === 0 || (await deps.results.forStudy(studyInstanceUid)).length === 0) return [];
  const context = await source.context();
  // The caller runs one results change of a study at a time (see `serialPerKey`): the state read here and the
  // message queued below belong together, so a later change's message is never queued before an earlier one's.
  const results = await deps.results.forStudy(studyInstanceUid);
  const accession = (await deps.studies.accessionOf(studyInstanceUid)) ?? '';
  const report = await deps.messages.latestReportFor(studyInstanceUid, accession);
  const concordance = report === undefined ? [] : compareFindings(
    results.map((r) => ({ ...r.finding, flagged: r.flagged, probability: r.probability, modelId: r.modelId })),
    JSON.parse(report.findingsJson) as ReportMention[],
  );
  // The current SR of each AI result: when it was written is the observation time (a re-analysis that changed
  // nothing keeps it, so the message stays the same), and a revised one makes this message a correction.
  const revisions = (await Promise.all(results.map((r) => deps.results.currentRevision(studyInstanceUid, imageResultKey(r.modelId))))).filter((r): r is ResultRevision => r !== undefined);
  const newest = revisions.reduce<ResultRevision | undefined>((n, r) => (n === undefined || r.createdAt > n.createdAt ? r : n), undefined);
  const observedAt = new Date(newest?.createdAt ?? results.reduce((t, r) => (r.analyzedAt > t ? r.analyzedAt : t), ''));
  const corrected = revisions.filter((r) => r.predecessorUid !== null).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))[0];
  const queued: string[] = [];
  for (const d of deps.destinations) {
    const oru = buildAiFlagsOru({
      accessionNumber: accession,
      accessionIssuer: accessionIssuerFromSource(context),
      studyInstanceUid,
      patient: oruPatientFromSource(context),
      findings: results.map((r) => ({ modelId: r.modelId, modelVersion: r.modelVersion, ...r.finding, flagged: r.flagged, probability: r.probability, ...(r.srSopInstanceUid === null ? {} : { srSopInstanceUid: r.srSopInstanceUid }) })),
      discordances: concordance.filter((c) => c.state !== 'concordant').map((c) => ({ code: c.code, meaning: c.meaning, state: c.state as 'ai-only' | 'report-only' })),
      demo: results.some((r) => deps.demoModels.has(r.modelId)),
      observedAt,
      // HL7 v2.5.1 Table 0123 / 0085: C = a correction that replaces a final result.
      resultStatus: corrected === undefined ? 'F' : 'C',
      ...(corrected === undefined || corrected.predecessorUid === null ? {} : { corrects: { srSopInstanceUid: corrected.predecessorUid } }),
      receivingApplication: d.application ?? d.name,
      receivingFacility: d.facility ?? '',
    });
    if ((await deps.outbox.enqueue({ kind: 'hl7', destination: d.name, studyInstanceUid, dedupeKey: oru.controlId, payload: oru.text }, nowMs)).created) queued.push(d.name);
  }
  return queued;
}
