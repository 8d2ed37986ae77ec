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
}

/** Where the study stands after an instance was recorded: enough for the assembler to schedule completion. */
export interface StudyProgress {
  studyInstanceUid: string;
  instanceCount: number;
  expectedInstances: number | undefined;
  completeDueAtMs: number;
}
