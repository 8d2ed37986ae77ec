/** Inputs shared by the SR unit tests: a synthetic source study with two series, and a model with two findings. */
import { type FindingsSrInput, type ReferencedInstance } from '../../../src/results/index.js';
import { FindingCodes } from '../../../src/results/sr/codes.js';
import { sourceContextFromDataset } from '../../../src/results/sr/source-context.js';

export const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';
export const STUDY_UID = '1.2.826.0.1.3680043.9.7433.1.1';
export const SERIES_A = '1.2.826.0.1.3680043.9.7433.1.2';
export const SERIES_B = '1.2.826.0.1.3680043.9.7433.1.3';

export const INSTANCES: ReferencedInstance[] = [
  { sopClassUid: CT_IMAGE, sopInstanceUid: '1.2.826.0.1.3680043.9.7433.1.2.1', seriesInstanceUid: SERIES_A },
  { sopClassUid: CT_IMAGE, sopInstanceUid: '1.2.826.0.1.3680043.9.7433.1.2.2', seriesInstanceUid: SERIES_A },
  { sopClassUid: CT_IMAGE, sopInstanceUid: '1.2.826.0.1.3680043.9.7433.1.3.1', seriesInstanceUid: SERIES_B },
];

/** A naturalized source instance as dcmjs would give it; no Study ID, Sex or Referring Physician (Type 2 gaps). */
export function sourceDataset(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    SOPClassUID: CT_IMAGE,
    SOPInstanceUID: INSTANCES[0]?.sopInstanceUid,
    StudyInstanceUID: STUDY_UID,
    SeriesInstanceUID: SERIES_A,
    PatientName: [{ Alphabetic: 'Doe^Jane' }],
    PatientID: 'PAT-001',
    PatientBirthDate: '19700101',
    StudyDate: '20261129',
    StudyTime: '101500',
    AccessionNumber: 'ACC-42',
    StudyDescription: 'CT CHEST',
    Modality: 'CT',
    Rows: 512,
    ...overrides,
  };
}

export function srInput(overrides: Partial<FindingsSrInput> = {}): FindingsSrInput {
  return {
    source: sourceContextFromDataset(sourceDataset()),
    referencedInstances: INSTANCES,
    model: { id: 'demo-nodule-cnn', version: '1.0.0', manufacturer: 'pacs-ai-gateway project', demo: true },
    findings: [
      { finding: FindingCodes.Nodule, presence: 'present', probability: 0.9731 },
      { finding: FindingCodes.PleuralEffusion, presence: 'absent', probability: 0.0123456789012345678, sourceInstanceUids: [INSTANCES[2]?.sopInstanceUid ?? ''] },
    ],
    kind: 'image-ai',
    contentDateTime: '20261130120000',
    ...overrides,
  };
}
