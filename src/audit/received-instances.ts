/**
 * "DICOM Instances Transferred" per association and study, not per instance (PS3.15 A.5.3.7 allows one message
 * for many instances of a study): a StoreHandler wrapped around the real one tallies each stored instance by study
 * and SOP class; when the association ends, one record per study goes out with the counts. Duplicates (already
 * held, nothing created) and failed stores are not tallied; the association's own log line counts them.
 */
import type { AssociationSummary, StoreHandler, StoreRequest, StoredSubject, StoreSink } from '../dicom/index.js';
import type { AuditedPeer, ReceivedStudy } from './gateway-events.js';

interface StudyTally {
  accessionNumber: string;
  patientId: string;
  sopClasses: Map<string, number>;
}

export interface ReceivedInstancesDeps {
  /** The study of an instance whose prefix did not hold its identifying attributes (read from the index). */
  studyOf: (sopInstanceUid: string) => Promise<string | undefined>;
  emit: (sender: AuditedPeer, study: ReceivedStudy) => void;
}

export class ReceivedInstancesAudit {
  /** associationId → Study Instance UID → tally. */
  private readonly open = new Map<string, Map<string, StudyTally>>();

  constructor(private readonly deps: ReceivedInstancesDeps) {}

  /** The handler to give the SCP: stores through `inner`, tallies what was stored. */
  wrap(inner: StoreHandler): StoreHandler {
    return { begin: (request) => this.begin(inner, request) };
  }

  /** The SCP's onAssociationEnded: one record per study the association stored. */
  associationEnded(summary: AssociationSummary): void {
    const studies = this.open.get(summary.associationId);
    this.open.delete(summary.associationId);
    if (studies === undefined) return;
    const sender: AuditedPeer = { name: summary.callingAeTitle, address: summary.peerAddress };
    for (const [studyInstanceUid, t] of studies) {
      this.deps.emit(sender, {
        studyInstanceUid,
        accessionNumber: t.accessionNumber,
        patientId: t.patientId,
        sopClasses: [...t.sopClasses].map(([uid, count]) => ({ uid, count })),
      });
    }
  }

  private begin(inner: StoreHandler, request: StoreRequest): StoreSink {
    const sink = inner.begin(request);
    return {
      write: (chunk) => sink.write(chunk),
      waitDrain: () => sink.waitDrain(),
      abort: () => sink.abort(),
      finish: async () => {
        const outcome = await sink.finish();
        if (outcome.kind === 'stored') await this.tally(request, outcome.subject);
        return outcome;
      },
    };
  }

  /** `subject` is what the storing handler read from the dataset; without it, the study comes from the index. */
  private async tally(request: StoreRequest, subject: StoredSubject | undefined): Promise<void> {
    const studyUid = subject?.studyInstanceUid ?? (await this.deps.studyOf(request.sopInstanceUid).catch(() => undefined));
    if (studyUid === undefined) return;
    let studies = this.open.get(request.associationId);
    if (studies === undefined) {
      studies = new Map();
      this.open.set(request.associationId, studies);
    }
    const t = studies.get(studyUid) ?? { accessionNumber: subject?.accessionNumber ?? '', patientId: subject?.patientId ?? '', sopClasses: new Map<string, number>() };
    t.sopClasses.set(request.sopClassUid, (t.sopClasses.get(request.sopClassUid) ?? 0) + 1);
    studies.set(studyUid, t);
  }
}
