/** Shapes of an instance index record and of the study progress it yields. */
export interface InstanceRecord {
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  accessionNumber: string;
  modality: string;
  bodyPart: string;
  seriesNumber: number | undefined;
  instanceNumber: number | undefined;
  sizeBytes: number;
  /** Relative to the spool root. */
  path: string;
  callingAe: string;
  receivedAtMs: number;
  studyDate: string;
  studyDescription: string;
  expectedStudyInstances: number | undefined;
  /**
   * False for an object that is not new data for the study: an SR this gateway wrote, routed back by the PACS.
   * It is indexed, but does not re-open the study or queue a re-analysis (no routing loop).
   */
  reopensStudy: boolean;
}

/** Where the study stands after an instance was recorded: enough for the assembler to schedule completion. */
export interface StudyProgress {
  studyInstanceUid: string;
  instanceCount: number;
  expectedInstances: number | undefined;
  completeDueAtMs: number;
}
