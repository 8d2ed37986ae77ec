/**
 * What /api/studies shows for a study: its receive state, jobs, AI results and per-destination delivery,
 * folded into one status: receiving | complete | analyzing | analyzed | delivered | failed.
 */
import type { Hl7MessagesStore, JobsReader, OutboxReader, ResultRevision, ResultsStore, StudiesReader, StudySummary } from '../../db/index.js';
import { compareFindings, type ReportMention } from '../../results/index.js';
import type { ResultRevisionsView, StudyListItem } from '../../http/index.js';
import type { Spool } from '../../storage/index.js';
import { summaryPngPath, summaryUidIfStored } from './summary-png.js';

export interface StudyViewDeps {
  studies: Pick<StudiesReader, 'list'>;
  jobs: JobsReader;
  results: Pick<ResultsStore, 'forStudy' | 'revisionsForStudy'>;
  outbox: OutboxReader;
  messages: Hl7MessagesStore;
  spool: Pick<Spool, 'stat'>;
}

export async function listStudyViews(deps: StudyViewDeps, query: { limit: number; offset: number }): Promise<StudyListItem[]> {
  return Promise.all((await deps.studies.list(query)).map((s) => studyView(deps, s)));
}

async function studyView(deps: StudyViewDeps, s: StudySummary): Promise<StudyListItem> {
  const jobs = await deps.jobs.forStudy(s.studyInstanceUid);
  const results = await deps.results.forStudy(s.studyInstanceUid);
  const deliveries = (await deps.outbox.list({ studyInstanceUid: s.studyInstanceUid, limit: 100 })).map((o) => ({
    id: o.id,
    destination: o.destination,
    kind: o.kind,
    state: o.state,
    attempts: o.attempts,
    lastError: o.lastError,
    deliveredAt: o.deliveredAt,
  }));
  const latestJob = jobs[jobs.length - 1];
  const report = await deps.messages.latestReportFor(s.studyInstanceUid, s.accessionNumber);
  const reportFindings = report === undefined ? [] : (JSON.parse(report.findingsJson) as ReportMention[]);
  const concordance =
    report === undefined || results.length === 0
      ? []
      : compareFindings(
          results.map((r) => ({ ...r.finding, flagged: r.flagged, probability: r.probability, modelId: r.modelId })),
          reportFindings,
        );
  let status: string = s.status;
  if (s.status === 'complete') {
    if (latestJob?.state === 'running' || latestJob?.state === 'queued') status = 'analyzing';
    else if (latestJob?.state === 'failed' || deliveries.some((d) => d.state === 'dead')) status = 'failed';
    else if (deliveries.length > 0 && deliveries.every((d) => d.state === 'delivered')) status = 'delivered';
    else if (results.length > 0 || latestJob?.state === 'done') status = 'analyzed';
  }
  return {
    ...s,
    status,
    ai: await Promise.all(results.map(async (r) => {
      // only flagged results have a summary unless a destination asks for one; only those are looked up
      const summaryUid = r.flagged ? await summaryUidIfStored(deps.spool, s.studyInstanceUid, r.srSopInstanceUid) : undefined;
      return {
      modelId: r.modelId,
      modelVersion: r.modelVersion,
      finding: r.finding,
      probability: r.probability,
      flagged: r.flagged,
      backend: `${r.engine}/${r.provider}`,
      device: r.device,
      ms: r.durationMs,
      instancesAnalyzed: r.instancesAnalyzed,
      summaryImage: summaryUid === undefined ? null : summaryPngPath(s.studyInstanceUid, summaryUid),
      };
    })),
    deliveries,
    results: revisionViews(await deps.results.revisionsForStudy(s.studyInstanceUid)),
    report: report === undefined ? null : { resultStatus: report.resultStatus, receivedAt: report.receivedAt },
    reportFindings,
    concordance,
    ...(latestJob?.lastError ? { lastError: latestJob.lastError } : {}),
  };
}

/** Revisions (oldest first, grouped by result) → one entry per result: the newest is current, the rest its history. */
export function revisionViews(revisions: readonly ResultRevision[]): ResultRevisionsView[] {
  const byResult = new Map<string, ResultRevision[]>();
  for (const r of revisions) byResult.set(r.resultKey, [...(byResult.get(r.resultKey) ?? []), r]);
  const view = (r: ResultRevision): ResultRevisionsView['current'] => ({ sopInstanceUid: r.sopInstanceUid, revision: r.revision, reason: r.reason, createdAt: r.createdAt });
  return [...byResult.values()].map((list) => {
    const newestFirst = [...list].sort((a, b) => b.revision - a.revision);
    const current = newestFirst[0] as ResultRevision;
    return { kind: current.kind, modelId: current.modelId, modelVersion: current.modelVersion, current: view(current), history: newestFirst.slice(1).map(view) };
  });
}
