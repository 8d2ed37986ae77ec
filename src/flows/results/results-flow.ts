/**
 * The results flow: "a study's results changed" (it was analysed, or a report linked to it was processed) becomes
 * the AI-flags ORU for the RIS and, where asked, the report-findings SR for the PACS, both in the outbox.
 */
import type { DicomDestination } from '../../config/index.js';
import { describeError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { queueAiFlags, type AiFlagsDeps, type StudyResultsStores } from './ai-flags.js';
import { queueReportSr, type ReportSrDeps } from './report-sr.js';
import { serialPerKey } from './keyed-serial.js';
import { studySource, type StudySource } from './study-source.js';

export interface ResultsFlowEvents {
  /** Messages were queued for these destinations. */
  outboxQueued: (destinations: string[]) => void;
}

export interface ResultsFlowDeps extends StudyResultsStores {
  hl7Destinations: AiFlagsDeps['destinations'];
  dicomDestinations: ReadonlyArray<DicomDestination>;
  /** Image model ids whose results carry the demo disclaimer. */
  demoModels: ReadonlySet<string>;
  reportAnalyzer: ReportSrDeps['analyzer'];
  log: Logger;
  events: ResultsFlowEvents;
}

/** Returns the handler of "this study's results changed". It never throws: a writer's failure is logged. */
export function resultsFlow(deps: ResultsFlowDeps): (studyInstanceUid: string) => void {
  const { log, events } = deps;
  const flagsDeps = { ...deps, destinations: deps.hl7Destinations };
  const srDeps = { ...deps, destinations: deps.dicomDestinations, analyzer: deps.reportAnalyzer };
  // One results change of a study at a time per writer: each reads the state and queues from it across awaits.
  const serial = serialPerKey();
  return (studyUid) => {
    // Read once for both writers, and both queued now, in the order the changes came (the read is asynchronous).
    const source = studySource(studyUid, deps);
    source.catch(() => undefined); // each writer awaits it and logs its failure
    const write = (to: (s: StudySource) => Promise<string[]>) => async (): Promise<string[]> => {
      const s = await source;
      return s === undefined ? [] : to(s);
    };
    serial(`oru:${studyUid}`, write((s) => queueAiFlags(studyUid, s, flagsDeps, Date.now()))).then(events.outboxQueued, (err: unknown) => log.error('AI flags for the RIS not queued', { err: describeError(err) }));
    serial(`sr:${studyUid}`, write((s) => queueReportSr(studyUid, s, srDeps, Date.now()))).then(events.outboxQueued, (err: unknown) => log.error('report findings SR not written', { err: describeError(err) }));
  };
}
